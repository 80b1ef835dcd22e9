using System.CommandLine;
using GaLore.Cli.Options;
using GaLore.Cli.Output;
using GaLore.Planner.Fit;

namespace GaLore.Cli.Commands;

/// <summary><c>galore-plan fit</c>: will this run fit on this GPU, where does the memory go, what to change.</summary>
public static class FitCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var step = new StepOptions();
        var gpu = new GpuOptions();
        var parallel = new MultiGpuOptions();
        var json = new Option<bool>("--json") { Description = "Print one JSON object (sizes in bytes) instead of text" };
        var cmd = new Command("fit", "Predict whether a training configuration fits a GPU, with a memory breakdown, the largest batch that fits, and the cheapest changes if it does not.\n" +
                                     "Defaults: 7B Llama, galore_adamw_8bit_layerwise, bf16, batch 1 × 256 tokens, RTX 4090 (24 GB), one GPU.\n" +
                                     "Several GPUs: --gpus N|auto --strategy ddp|zero1|zero2|zero3|fsdp [--offload …] [--grad-accum K]; sizes are then per GPU, " +
                                     Planner.Parallel.Parallelism.NotMeasured + ".");
        step.AddTo(cmd);
        gpu.AddTo(cmd);
        parallel.AddTo(cmd);
        cmd.Options.Add(json);
        cmd.SetAction(r =>
        {
            var query = new FitQuery(parallel.Apply(step.Bind(r), r, step.Optim, out string? note), step.BindBatch(r), step.BindSeq(r), gpu.BindGpu(r),
                gpu.BindContextBytes(r), gpu.BindReserveBytes(r));
            var result = parallel.Auto(r) ? FitCalculator.EvaluateFewestGpus(query) : FitCalculator.Evaluate(query);
            if (note is not null) result = result with { Warnings = [note, .. result.Warnings] };
            var output = r.InvocationConfiguration.Output;
            if (r.GetValue(json)) PrintJson(output, result);
            else FitText.Write(output, result);
            return 0;
        });
        return cmd;
    }

    // Kept out of the action so that the text path never loads System.Text.Json (start-up time).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    static void PrintJson(TextWriter output, FitResult result) => JsonOutput.Print(output, j => FitJson.Write(j, result));
}
