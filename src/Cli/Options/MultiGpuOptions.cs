using System.CommandLine;
using GaLore.Planner;
using GaLore.Planner.Memory;
using GaLore.Planner.Parallel;

namespace GaLore.Cli.Options;

/// <summary>
/// The options that spread a step over several GPUs (<see cref="Parallelism"/>): how many, the engine, CPU offload and
/// gradient accumulation; shared by fit, sweep and report. <c>--gpus auto</c> asks for the fewest GPUs that fit; several
/// GPUs without <c>--strategy</c> train with DDP (what <c>torchrun</c> and the Hugging Face Trainer do by default).
/// </summary>
public sealed class MultiGpuOptions
{
    public readonly Option<string?> Gpus = new("--gpus") { Description = "Data-parallel GPUs: a count, or auto for the fewest that fit (default 1)" };
    public readonly Option<string?> Strategy = new("--strategy")
    {
        Description = "How the GPUs share the model: ddp (replicas), zero1, zero2, zero3 (DeepSpeed ZeRO), fsdp (PyTorch FSDP2); default ddp when --gpus is more than 1",
    };
    public readonly Option<string?> Offload = new("--offload")
    {
        Description = "What moves to host memory: none (default), optimizer (ZeRO stages), optimizer+params (ZeRO-3, FSDP2)",
    };
    public readonly Option<string?> GradAccum = new("--grad-accum") { Description = "Micro-batches per optimizer step, gradient_accumulation_steps (default 1)" };

    /// <summary>Adds the options to a command.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Gpus);
        command.Options.Add(Strategy);
        command.Options.Add(Offload);
        command.Options.Add(GradAccum);
    }

    /// <summary>Whether <c>--gpus auto</c> was given.</summary>
    public bool Auto(ParseResult r) => r.GetValue(Gpus) is { } g && g.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase);

    /// <summary>The parallelism on the command line (with <c>--gpus auto</c>, its smallest GPU count; the search picks the count).
    /// <paramref name="accumDefault"/>: the accumulation when <c>--grad-accum</c> is not given (a <c>--training-args</c> file's
    /// <c>gradient_accumulation_steps</c>), else 1.</summary>
    public Parallelism Bind(ParseResult r, int? accumDefault = null)
    {
        bool auto = Auto(r);
        int gpus = 1;
        if (!auto && r.GetValue(Gpus) is { } text)
        {
            gpus = Values.Int(text, "--gpus") ?? 1;
            if (gpus < 1) throw new PlannerInputException($"--gpus must be a positive integer or auto, got {gpus}");
        }
        var strategy = r.GetValue(Strategy) is { } s ? Strategies.Parse(s) : gpus > 1 || auto ? Strategies.Ddp : Strategies.None;
        var offload = r.GetValue(Offload) is { } o ? OffloadModes.Parse(o) : OffloadMode.None;
        int accum = Values.PositiveInt(r.GetValue(GradAccum), "--grad-accum", accumDefault ?? 1);
        var p = new Parallelism(gpus, strategy, offload, accum);
        return auto ? p.WithGpus(Planner.Search.GpuCountSearch.MinGpus(p)) : p;
    }

    /// <summary>The step with the command line's parallelism.</summary>
    public StepSpec Apply(StepSpec step, ParseResult r, int? accumDefault = null) => step with { Parallel = Bind(r, accumDefault) };

    /// <summary>
    /// The step with the command line's parallelism; when <paramref name="optim"/> was not given and the one-GPU default
    /// (a layerwise optimizer) cannot run distributed, Hugging Face's default <c>adamw</c> instead, with a note saying so.
    /// </summary>
    public StepSpec Apply(StepSpec step, ParseResult r, Option<string> optim, out string? note, int? accumDefault = null)
    {
        var result = Apply(step, r, accumDefault);
        note = null;
        bool implicitOptim = r.GetResult(optim) is not { Implicit: false };
        if (!implicitOptim || !result.Parallel.IsDistributed || !result.Optimizer.Spec.Layerwise) return result;
        note = $"--optim not given: {DistributedDefault} (Hugging Face's default); the one-GPU default {result.Optimizer.Spec.Name} is layerwise, " +
               "which Hugging Face refuses under distributed training";
        return result with { Optimizer = result.Optimizer with { Spec = Planner.Optimizers.OptimizerSpec.Parse(DistributedDefault) } };
    }

    /// <summary>The optimizer several GPUs default to: Hugging Face's own default, which every strategy runs.</summary>
    public const string DistributedDefault = "adamw";
}
