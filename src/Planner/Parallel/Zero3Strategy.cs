using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models.Layout;

namespace GaLore.Planner.Parallel;

/// <summary>
/// DeepSpeed ZeRO stage 3, P_os+g+p (Rajbhandari et al. 2020, arXiv 1910.02054, §5.3 and Figure 1): weights, gradients and
/// optimizer states are all partitioned, (2 + 2 + K)Ψ/N = 16Ψ/N per GPU, plus what it gathers and its buckets
/// (<c>deepspeed/runtime/zero/stage3.py</c>, <c>partitioned_param_coordinator.py</c>, 0.16.5):
/// <list type="bullet">
/// <item>each parameter's 16-bit partition (⌈n/N⌉ elements, in flat sub-groups), a persistent 16-bit gradient partition
/// buffer (<c>grad_partitions_flat_buffer</c>), and the fp32 master partition with the optimizer's states, stepped in
/// sub-groups of <c>sub_group_size</c> elements; parameters of at most <c>stage3_param_persistence_threshold</c> elements are
/// also kept whole on every GPU;</item>
/// <item>the full parameters a module needs, all-gathered before it runs (forward, recomputation and backward) together
/// with the prefetch, bounded by <c>stage3_prefetch_bucket_size</c> and <c>stage3_max_live_parameters</c>, and released
/// after unless reused soon (<see cref="Zero3Fetcher"/>);</item>
/// <item>the reduction bucket (<c>__ipg_bucket_flat_buffer</c>, <c>reduce_bucket_size</c> elements, allocated once): each
/// complete gradient is copied in and its own storage freed; a full bucket is reduce-scattered through a flat copy of its
/// padded contents (<c>reduce_scatter_coalesced</c>'s <c>torch.cat</c>) into the gradient partitions;</item>
/// <item>the step per sub-group: the gradient partition flattened (a 16-bit copy) and cast to fp32, the update, the fp32
/// gradient freed.</item>
/// </list>
/// <c>offload_optimizer</c> moves the master partitions, states and gradient partitions to pinned host memory (the step runs
/// there); <c>offload_param</c> also the 16-bit partitions (ZeRO-Infinity's CPU mode).
/// </summary>
public sealed class Zero3Strategy(ZeroConfig config) : ShardingStrategy
{
    /// <summary>The ZeRO settings.</summary>
    public ZeroConfig Config { get; } = config;

    public override string Name => "zero3";
    public override string Engine => "DeepSpeed ZeRO stage 3";
    public override bool Shards => true;
    public override bool Offers(OffloadMode offload) => true;
    public override TrainingLayout Layout(Precision requested) => ZeroLayouts.For(requested);

    internal override ParallelStep Hooks(StepSpec s, ModelLayout layout, bool[] galore, AllocationRounding rounding) =>
        new Zero3Step(Config, s, layout, galore, rounding);
}

/// <summary>ZeRO-3 on one GPU's timeline (see <see cref="Zero3Strategy"/>).</summary>
internal sealed class Zero3Step : ParallelStep
{
    readonly ZeroConfig config;
    readonly long[] partition;               // ⌈n/N⌉ per parameter
    readonly bool[] persistentParam;
    readonly List<long> subGroups = [];      // elements per fp32 sub-group
    readonly long partitionElements;         // Σ ⌈n/N⌉
    Zero3Fetcher.Module[] trace = [];
    Zero3Fetcher.Step[] schedule = [];
    int cursor;
    long fill, fillPadded;

    public Zero3Step(ZeroConfig config, StepSpec s, ModelLayout layout, bool[] galore, AllocationRounding rounding)
        : base(s, layout, galore, rounding, ZeroLayouts.For(s.Precision))
    {
        this.config = config;
        partition = new long[Table.Count];
        persistentParam = new bool[Table.Count];
        for (int k = 0; k < Table.Count; k++)
        {
            partition[k] = Ceil(Table[k].Elements, Gpus);
            persistentParam[k] = Table[k].Elements <= config.ParamPersistenceThreshold;
            partitionElements += partition[k];
        }
        var (decay, noDecay) = HfParameterGroups();
        foreach (var group in new[] { decay, noDecay })
        {
            long current = 0;
            for (int i = 0; i < group.Count; i++)
            {
                current += partition[group[i]];
                if (current < config.SubGroupSize && i < group.Count - 1) continue;
                subGroups.Add(current);
                current = 0;
            }
        }
        long host = 0;
        if (Offload != OffloadMode.None)
        {
            foreach (long g in subGroups) host += (long)Dtypes.MasterBytes * g + FlatStateHostBytes(g) + 4L * g;
            host += partitionElements * Dtypes.ShardGradBytes;
            if (Offload == OffloadMode.OptimizerAndParams) host += partitionElements * Dtypes.WeightBytes;
        }
        HostBytes = host;
    }

    public override bool PerPart => true;
    public override bool ModuleHooks => true;

    long ReduceBucketBytes => config.ReduceBucketSize * Dtypes.GradBytes;

    public override CategoryBytes Persistent
    {
        get
        {
            var c = new CategoryBytes();
            if (Offload != OffloadMode.OptimizerAndParams)
                foreach (long g in subGroups) c.Add(MemoryCategory.Weights, R(g * Dtypes.WeightBytes));
            for (int k = 0; k < Table.Count; k++)
                if (persistentParam[k]) c.Add(MemoryCategory.Weights, R(Table[k].Elements * Dtypes.WeightBytes));
            c.Add(MemoryCategory.Gradients, R(ReduceBucketBytes));
            if (Offload == OffloadMode.None)
            {
                c.Add(MemoryCategory.Gradients, R(partitionElements * Dtypes.ShardGradBytes));
                foreach (long g in subGroups) c.Add(MemoryCategory.OptimizerStates, R((long)Dtypes.MasterBytes * g) + FlatStateBytes(g));
            }
            return c;
        }
    }

    public override CategoryBytes ModelStates
    {
        get
        {
            var c = Persistent;
            c.Add(MemoryCategory.Gradients, -R(ReduceBucketBytes));   // a buffer, not a model state
            return c;
        }
    }

    public override void Prepare(ModelLayout layout, IReadOnlyList<OpGraph> graphs, IReadOnlyList<BoundParam> bound, bool checkpointing)
    {
        base.Prepare(layout, graphs, bound, checkpointing);
        // The module trace in the order the simulator runs the ops: forward, then backward from the last part, each block
        // recomputed first under checkpointing.
        var modules = new List<Zero3Fetcher.Module>();
        void Add(int part, GraphOp op)
        {
            var ps = new int[op.Params.Length];
            for (int j = 0; j < ps.Length; j++) ps[j] = layout.Parts[part].ParameterOf(op.Params[j].Name);
            modules.Add(new Zero3Fetcher.Module(op.Name, ps));
        }
        for (int i = 0; i < graphs.Count; i++)
            foreach (var op in graphs[i].Ops)
                if (op.Params.Length > 0) Add(i, op);
        for (int i = graphs.Count - 1; i >= 0; i--)
        {
            if (checkpointing && layout.Parts[i].Design.Kind == PartKind.Block)
                foreach (var op in graphs[i].Ops)
                    if (op.Params.Length > 0) Add(i, op);
            for (int k = graphs[i].Ops.Count - 1; k >= 0; k--)
                if (graphs[i].Ops[k].Params.Length > 0) Add(i, graphs[i].Ops[k]);
        }
        trace = modules.ToArray();
        var numel = new long[Table.Count];
        for (int k = 0; k < numel.Length; k++) numel[k] = Table[k].Elements;
        schedule = Zero3Fetcher.Schedule(trace, numel, config);
    }

    long Gathered(int k) => R(Table[k].Elements * Dtypes.GatherBytes);

    public override void BeforeModule(GraphOp op, EventLog events)
    {
        if (cursor >= trace.Length || trace[cursor].Name != op.Name)
            throw new InvalidOperationException($"ZeRO-3 trace out of step at module {cursor} ({op.Name})");
        foreach (int k in schedule[cursor].Gathered)
            Alloc(events, Gathered(k), MemoryCategory.Weights, $"ZeRO-3: all-gather at {op.Name}");
    }

    public override void AfterModule(GraphOp op, EventLog events)
    {
        foreach (int k in schedule[cursor].Released)
            Free(events, Gathered(k), MemoryCategory.Weights, $"ZeRO-3: release after {op.Name}");
        cursor++;
    }

    void Flush(EventLog events)
    {
        long copy = R(fillPadded * Dtypes.GradBytes);
        Alloc(events, copy, MemoryCategory.Gradients, "ZeRO-3: reduce-scatter of the bucket (flat copy)");
        Free(events, copy, MemoryCategory.Gradients, "ZeRO-3: bucket reduced into the gradient partitions");
        fill = fillPadded = 0;
    }

    public override void GradientComplete(BoundParam p, EventLog events)
    {
        long n = Table[p.Parameter].Elements, padded = Ceil(n, Gpus) * Gpus;
        if (fill > 0 && fill + n > config.ReduceBucketSize) Flush(events);
        if (n <= config.ReduceBucketSize)
        {
            fill += n;
            fillPadded += padded;
        }
        else if (n % Gpus != 0)
        {
            // A gradient larger than the bucket is reduce-scattered from its own storage (padded copy when N does not divide it).
            Alloc(events, R(padded * Dtypes.GradBytes), MemoryCategory.Gradients, "ZeRO-3: reduce-scatter of a gradient larger than the bucket (padded copy)");
            Free(events, R(padded * Dtypes.GradBytes), MemoryCategory.Gradients, "ZeRO-3: large gradient reduced");
        }
        Free(events, p.GradBytes, MemoryCategory.Gradients,
            n <= config.ReduceBucketSize ? "ZeRO-3: grad copied into the reduce bucket" : "ZeRO-3: large grad reduced and freed");
        p.GradAlive = false;
    }

    public override void AfterBackward(int part, EventLog events)
    {
        if (part == 0 && fill > 0) Flush(events);
    }

    public override bool OptimizerStep(EventLog events, Action<string, int> close)
    {
        foreach (long g in subGroups)
        {
            if (Offload == OffloadMode.Optimizer)
            {
                Alloc(events, R(4 * g), MemoryCategory.Other, "offload: updated fp32 sub-group copied to the GPU");
                Free(events, R(4 * g), MemoryCategory.Other, "offload: copy freed");
                continue;
            }
            if (Offload == OffloadMode.OptimizerAndParams) continue;
            Alloc(events, R(g * Dtypes.ShardGradBytes), MemoryCategory.Other, "optimizer step: sub-group gradients flattened");
            Alloc(events, R(4 * g), MemoryCategory.Gradients, "optimizer step: fp32 gradient of the sub-group");
            Free(events, R(g * Dtypes.ShardGradBytes), MemoryCategory.Other, "optimizer step: flattened copy freed");
            long update = FlatUpdateBytes(g);
            Alloc(events, R(update), MemoryCategory.Other, "optimizer step: update of the fp32 sub-group");
            Free(events, R(update), MemoryCategory.Other, "optimizer step: update done");
            Free(events, R(4 * g), MemoryCategory.Gradients, "optimizer step: fp32 gradient freed");
        }
        close("optimizer step", 1);
        return true;
    }
}
