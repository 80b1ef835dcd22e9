using GaLore.Planner.Memory;
using GaLore.Planner.Models.Layout;

namespace GaLore.Planner.Parallel;

/// <summary>
/// How an engine spreads a training step over data-parallel GPUs: which of weights, gradients and optimizer states it
/// replicates or partitions, in which dtypes (<see cref="Layout"/>), and which buffers it adds. Each engine is one type
/// (<see cref="SingleDevice"/>, <see cref="DdpStrategy"/>, <see cref="Zero1Strategy"/>, <see cref="Zero2Strategy"/>,
/// <see cref="Zero3Strategy"/>, <see cref="Fsdp2Strategy"/>) whose <see cref="Hooks"/> put its per-GPU memory on the
/// step timeline the <see cref="StepCompiler"/> builds. Every figure is derived from the engines' sources and documented
/// layouts; none has been measured on more than one GPU.
/// </summary>
public abstract class ShardingStrategy
{
    /// <summary>Command-line name: <c>none</c>, <c>ddp</c>, <c>zero1</c>, <c>zero2</c>, <c>zero3</c>, <c>fsdp</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The engine, e.g. "DeepSpeed ZeRO stage 3".</summary>
    public abstract string Engine { get; }

    /// <summary>Whether the per-GPU bytes fall as GPUs are added (false for replicas: one GPU's worth on each).</summary>
    public abstract bool Shards { get; }

    /// <summary>Whether it runs on a single process (no <c>torch.distributed</c> launch).</summary>
    public virtual bool Distributed => true;

    /// <summary>The offload modes the engine offers.</summary>
    public virtual bool Offers(OffloadMode offload) => offload == OffloadMode.None;

    /// <summary>The dtypes the engine keeps each tensor in when the user asks for <paramref name="requested"/>.</summary>
    public abstract TrainingLayout Layout(Precision requested);

    /// <summary>The step's per-GPU memory on the timeline: persistent bytes, gradient sizes, buffers and gathers.</summary>
    internal abstract ParallelStep Hooks(StepSpec s, ModelLayout layout, bool[] galore, AllocationRounding rounding);

    public override string ToString() => Name;
}

/// <summary>The strategies, by command-line name.</summary>
public static class Strategies
{
    /// <summary>One GPU, no engine (the planner's own step).</summary>
    public static readonly ShardingStrategy None = new SingleDevice();

    /// <summary>PyTorch DistributedDataParallel.</summary>
    public static readonly ShardingStrategy Ddp = new DdpStrategy();

    /// <summary>DeepSpeed ZeRO stage 1 with DeepSpeed's defaults.</summary>
    public static readonly ShardingStrategy Zero1 = new Zero1Strategy(ZeroConfig.Default);

    /// <summary>DeepSpeed ZeRO stage 2 with DeepSpeed's defaults.</summary>
    public static readonly ShardingStrategy Zero2 = new Zero2Strategy(ZeroConfig.Default);

    /// <summary>DeepSpeed ZeRO stage 3 with DeepSpeed's defaults.</summary>
    public static readonly ShardingStrategy Zero3 = new Zero3Strategy(ZeroConfig.Default);

    /// <summary>PyTorch FSDP2 (<c>fully_shard</c>), one unit per decoder block.</summary>
    public static readonly ShardingStrategy Fsdp = new Fsdp2Strategy();

    /// <summary>The multi-GPU strategies, in the order the CLI and the reports list them.</summary>
    public static readonly IReadOnlyList<ShardingStrategy> Multi = [Ddp, Zero1, Zero2, Zero3, Fsdp];

    /// <summary>The names <c>--strategy</c> accepts.</summary>
    public const string Names = "ddp, zero1, zero2, zero3, fsdp";

    /// <summary>Parses a strategy name (<c>zero-2</c>, <c>ZeRO2</c>, <c>fsdp2</c> also accepted).</summary>
    public static ShardingStrategy Parse(string text)
    {
        string t = text.Trim().ToLowerInvariant().Replace("-", "").Replace("_", "");
        if (t is "none" or "single") return None;
        if (t == "fsdp2") return Fsdp;
        if (t == "fsdp1")
            throw new PlannerInputException("--strategy fsdp1: FSDP1 (FullyShardedDataParallel) flattens each wrapped unit into one FlatParameter, " +
                                            "which galore-torch cannot project and this planner does not model; use fsdp (FSDP2, fully_shard)");
        foreach (var s in Multi)
            if (s.Name == t) return s;
        throw new PlannerInputException($"unknown strategy '{text}': use {Names}");
    }
}
