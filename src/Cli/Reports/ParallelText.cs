using GaLore.Planner.Memory;
using GaLore.Planner.Parallel;

namespace GaLore.Cli.Reports;

/// <summary>The sentence reports print about a run on several GPUs (sweep, capacity report).</summary>
public static class ParallelText
{
    /// <summary>"Per GPU: 8 GPUs · zero3 (DeepSpeed ZeRO stage 3) …; layout …; predicted …; not measured."</summary>
    public static string Describe(StepSpec step) => Describe(step.Parallel, step.Precision);

    /// <summary>The same for a parallelism and the precision asked for.</summary>
    public static string Describe(Parallelism p, Precision precision)
    {
        string offload = p.Offload == OffloadMode.None ? "" : $", offload `{p.Offload.Name()}`";
        return $"**Sizes are per GPU**: {p.Gpus} GPU{(p.Gpus == 1 ? "" : "s")} with `{p.Strategy.Name}` ({p.Strategy.Engine}){offload}, " +
               $"{p.GradAccum} micro-batch{(p.GradAccum == 1 ? "" : "es")} per optimizer step (tokens per optimizer step = batch × seq × {p.GradAccum} × {p.Gpus}); " +
               $"{p.Strategy.Layout(precision).Description}. " +
               (p.IsDistributed ? $"Several GPUs are {Parallelism.NotMeasured}." : "");
    }
}
