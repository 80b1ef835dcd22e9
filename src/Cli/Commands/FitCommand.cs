using System.CommandLine;
using GaLore.Cli.Options;
using GaLore.Cli.Output;
using GaLore.Planner.Fit;

namespace GaLore.Cli.Commands;

/// <summary><c>galore-plan fit</c>: will this run fit on this GPU, where does the memory go, what to change. Exit status:
/// 0 it fits, 1 it does not, 2 bad input — so a script can gate on it.</summary>
public static class FitCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var step = new StepOptions();
        var gpu = new GpuOptions();
        var parallel = new MultiGpuOptions();
        var json = new Option<bool>("--json") { Description = "Print one JSON object (sizes in bytes) instead of text" };
        var timeline = new Option<string?>("--timeline")
        {
            Description = "Also write the predicted allocation timeline of the step: FILE.csv and a chart FILE.png/FILE.svg (memory by category over the step, phases marked, peak annotated)",
        };
        var cmd = new Command("fit", "Predict whether a training configuration fits a GPU, with a memory breakdown, the largest batch and longest sequence that fit, and the cheapest changes if it does not.\n" +
                                     "Exit status: 0 fits, 1 does not fit, 2 bad input. " +
                                     "Defaults: 7B Llama, galore_adamw_8bit_layerwise, bf16, batch 1 × 256 tokens, RTX 4090 (24 GB), one GPU.\n" +
                                     "Several GPUs: --gpus N|auto --strategy ddp|zero1|zero2|zero3|fsdp [--offload …] [--grad-accum K]; sizes are then per GPU, " +
                                     Planner.Parallel.Parallelism.NotMeasured + ".");
        step.AddTo(cmd);
        gpu.AddTo(cmd);
        parallel.AddTo(cmd);
        cmd.Options.Add(json);
        cmd.Options.Add(timeline);
        cmd.SetAction(r =>
        {
            var query = new FitQuery(parallel.Apply(step.Bind(r), r, step.Optim, out string? note, step.BindTrainingArgs(r)?.GradientAccumulationSteps), step.BindBatch(r), step.BindSeq(r), gpu.BindGpu(r),
                gpu.BindContextBytes(r), gpu.BindReserveBytes(r));
            var result = parallel.Auto(r) ? FitCalculator.EvaluateFewestGpus(query) : FitCalculator.Evaluate(query);
            var notes = step.Notes(r, query.Step.Optimizer);
            if (note is not null) notes = [note, .. notes];
            if (notes.Count > 0) result = result with { Warnings = [.. notes, .. result.Warnings] };
            IReadOnlyList<string> files = r.GetValue(timeline) is { } path ? WriteTimeline(path, result) : [];
            var output = r.InvocationConfiguration.Output;
            if (r.GetValue(json)) PrintJson(output, result, files);
            else
            {
                FitText.Write(output, result);
                if (files.Count > 0) output.WriteLine($"Timeline: {string.Join(", ", files)}");
            }
            return result.Fits ? 0 : CliApp.No;
        });
        return cmd;
    }

    // Kept out of the action so that the text path never loads System.Text.Json (start-up time).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    static void PrintJson(TextWriter output, FitResult result, IReadOnlyList<string> files) =>
        JsonOutput.Print(output, j => FitJson.Write(j, result, files));

    // Kept out of the action so that fit without --timeline never loads ScottPlot or CsvHelper.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    static IReadOnlyList<string> WriteTimeline(string path, FitResult result) => Reports.Timeline.TimelineFiles.Write(path, result);
}
