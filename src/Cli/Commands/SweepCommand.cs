using System.CommandLine;
using GaLore.Cli.Options;
using GaLore.Cli.Output;
using GaLore.Cli.Reports;
using GaLore.Cli.Reports.Sweep;
using GaLore.Planner.Fit;
using GaLore.Planner.Search;
using GaLore.Planner.Sweep;

namespace GaLore.Cli.Commands;

/// <summary>
/// <c>galore-plan sweep</c>: evaluates a rank × batch × seq grid for one model, optimizer and GPU and says which
/// axis reaches the GPU's limit first. The work is in <see cref="SweepRun"/>, <see cref="LimitAnalysis"/> and
/// <see cref="SweepReport"/>; this class parses options.
/// </summary>
public static class SweepCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var step = new StepOptions();
        var gpu = new GpuOptions();
        var multi = new MultiGpuOptions();
        var vary = new Option<string[]>("--vary")
        {
            Description = "Axes to vary, repeatable: " + VaryOption.Syntax + ". " +
                          "Examples: --vary rank=64..1024 --vary batch=1..64,seq=256..4096; --vary rank=64,128,512; --vary seq=512..4096:512. " +
                          "Axes not varied keep --rank, --batch and --seq.",
            AllowMultipleArgumentsPerToken = false,
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (sizes in bytes, every point) instead of the Markdown summary" };
        var outDir = new Option<string?>("--out") { Description = "Folder for sweep.csv, sweep.md, sweep.html and the frontier chart (default: print only)" };
        var timings = new Option<bool>("--timings") { Description = "With --json: include compile and evaluation times and points per second (left out so two runs diff clean)" };
        var cmd = new Command("sweep",
            "Evaluate a grid of GaLore rank × batch × sequence length for one model, optimizer and GPU: the peak (GiB) and verdict of every point, " +
            "the largest batch per rank and sequence length (the frontier), which axis hits the limit first, and points evaluated per second.\n" +
            "Example: galore-plan sweep -m llama-7b -o galore_adamw_8bit_layerwise -g rtx-4090 --vary rank=64..1024,batch=1..64,seq=256..4096 --out sweep/");
        step.AddTo(cmd);
        gpu.AddTo(cmd);
        multi.AddTo(cmd);
        cmd.Options.Add(vary);
        cmd.Options.Add(json);
        cmd.Options.Add(outDir);
        cmd.Options.Add(timings);
        cmd.SetAction(r =>
        {
            var baseStep = multi.Apply(step.Bind(r), r, step.Optim, out string? note, step.BindTrainingArgs(r)?.GradientAccumulationSteps);
            var grid = VaryOption.Parse(r.GetValue(vary) ?? [], baseStep.Optimizer.GaLore.Rank, step.BindBatch(r), step.BindSeq(r));
            var query = new FitQuery(baseStep, grid.Batches[0], grid.Seqs[0], gpu.BindGpu(r), gpu.BindContextBytes(r), gpu.BindReserveBytes(r)).Validate();
            if (multi.Auto(r)) query = FewestGpus(query.WithRank(grid.Ranks[0]));
            grid.Validate();
            if (r.GetValue(outDir) is { } folder) OutputFolder.Check(folder);
            var result = SweepRun.Run(query, grid, r.InvocationConfiguration.Error);
            // After the run: bad input (a strategy the step cannot use) is one line, with no note before it.
            if (note is not null) r.InvocationConfiguration.Error.WriteLine("note: " + note);
            var verdict = LimitAnalysis.Analyze(result);
            IReadOnlyList<string> files = r.GetValue(outDir) is { } dir
                ? SweepReport.Write(dir, result, verdict, CommandLineText.Reproduce(r))
                : [];
            var output = r.InvocationConfiguration.Output;
            if (r.GetValue(json)) JsonOutput.Print(output, j => SweepJson.Write(j, result, verdict, files, r.GetValue(timings)));
            else
            {
                output.Write(MarkdownPage.Render(SweepDocument.Build(result, verdict, CommandLineText.Reproduce(r), frontier: null)));
                if (files.Count > 0) output.WriteLine($"\nWrote {files.Count} files to {r.GetValue(outDir)}: {string.Join(", ", files)}");
            }
            return 0;
        });
        return cmd;
    }

    /// <summary><c>--gpus auto</c>: the fewest GPUs on which the grid's smallest point fits; the whole grid is then swept on them.</summary>
    static FitQuery FewestGpus(FitQuery query)
    {
        var found = GpuCountSearch.Fewest(query);
        return found is { } n
            ? query.WithGpus(n)
            : throw new GaLore.Planner.PlannerInputException(
                $"--gpus auto: the grid's smallest point (batch {query.Batch} × {query.Seq} tokens) fits on no number of GPUs up to {GpuCountSearch.GpuLimit} " +
                $"with {query.Step.Parallel.Strategy.Name}; give --gpus N to sweep anyway");
    }
}
