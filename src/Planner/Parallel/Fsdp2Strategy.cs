using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Planner.Models.Layout;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Parallel;

/// <summary>
/// PyTorch FSDP2, <c>fully_shard</c> (<c>torch/distributed/fsdp/_fully_shard/</c>: <c>_fsdp_api.py</c>,
/// <c>_fsdp_param_group.py</c>, <c>_fsdp_collectives.py</c>), applied as accelerate does for Hugging Face models: one unit
/// per decoder block, then the root (embedding, final norm, lm_head), every unit with <c>reshard_after_forward=True</c>.
/// <list type="bullet">
/// <item>Parameters are DTensors sharded on dim 0: GPU r keeps ⌈rows/N⌉ rows of every parameter (dim 0 padded to a multiple
/// of N) in the parameter's own dtype — fp32 under mixed precision, where the shard is the master copy ("FSDP does not
/// require any extra memory to keep a high-precision copy") — and the optimizer's states live on those shards.</item>
/// <item>A unit is all-gathered before its forward and its backward, in <c>MixedPrecisionPolicy.param_dtype</c> (bf16 unless
/// fp32): a flat all-gather output of the padded unit, copied out into the unsharded parameters. In forward the output is
/// kept until the next unit's all-gather is issued (the deferred free that overlaps copy-out with the next collective), so
/// the last block's output outlives the step; in backward it is freed after the copy-out, and the next unit (in reverse
/// order) is prefetched one ahead. Units reshard after forward and after backward.</item>
/// <item>After a unit's backward its unsharded gradients (param_dtype) are copied into one reduce-scatter input
/// (<c>reduce_dtype</c> = param_dtype by default) and freed; the input is kept until the next unit's reduce-scatter; the
/// output, cast to the parameter dtype, becomes (or is added into) the sharded <c>.grad</c>, freed by <c>zero_grad</c>.
/// The root reduces last, so lm_head's full gradient lives through the whole backward.</item>
/// <item><c>CPUOffloadPolicy</c> keeps sharded parameters, gradients and optimizer states in pinned host memory and steps on
/// the CPU.</item>
/// </list>
/// GaLore is not part of FSDP2: galore-torch runs <c>torch.linalg.svd</c> on the gradient, a DTensor shard here. Predicted for
/// a GaLore that projects each shard — right projections (tall weights) keep the shard's rows, so their low-rank states are
/// sharded; left projections need all rows, so theirs are replicated; projectors are replicated — and that all-gathers each
/// projected weight's full gradient at a refresh for the SVD.
/// </summary>
public sealed class Fsdp2Strategy : ShardingStrategy
{
    static readonly Precision Bf16 = new(PrecisionMode.Bf16), Fp32 = new(PrecisionMode.Fp32);

    public override string Name => "fsdp";
    public override string Engine => "PyTorch FSDP2 (fully_shard)";
    public override bool Shards => true;
    public override bool Offers(OffloadMode offload) => offload != OffloadMode.Optimizer;

    public override TrainingLayout Layout(Precision requested) => requested.Mode switch
    {
        PrecisionMode.Bf16 => new(Bf16, 2, 2, 2, 0, Bf16, 2, "FSDP2 bf16: bf16 shards, gradients and optimizer states"),
        PrecisionMode.Mixed => new(Bf16, 4, 2, 4, 0, Fp32, 2,
            "FSDP2 mixed precision: fp32 shards (the master), fp32 sharded gradients and states; bf16 all-gathers and reduce-scatters"),
        PrecisionMode.Fp32 => new(Fp32, 4, 4, 4, 0, Fp32, 4, "FSDP2 fp32: fp32 shards, gathers, gradients and states"),
        // param_dtype=float16: byte for byte the bf16 policy (2-byte gathers and compute, fp32 shards), with a loss scaler.
        PrecisionMode.Fp16 => new(Bf16, 4, 2, 4, 0, Fp32, 2,
            "FSDP2 fp16 mixed precision: fp32 shards (the master), fp32 sharded gradients and states; fp16 all-gathers and reduce-scatters"),
        _ => throw new ArgumentOutOfRangeException(nameof(requested), requested.Mode, "unknown precision mode"),
    };

    internal override ParallelStep Hooks(StepSpec s, ModelLayout layout, bool[] galore, AllocationRounding rounding) =>
        new Fsdp2Step(s, layout, galore, rounding, Layout(s.Precision));
}

/// <summary>FSDP2 on one GPU's timeline (see <see cref="Fsdp2Strategy"/>).</summary>
internal sealed class Fsdp2Step : ParallelStep
{
    const int Root = -1;
    readonly int[] unitOfPart;                 // block parts: their own unit (the part index); the rest: the root
    readonly long[] localRows;                 // ⌈rows/N⌉ per parameter
    long pendingReduceScatter;                 // the previous unit's reduce-scatter input, freed at the next one

    public Fsdp2Step(StepSpec s, ModelLayout layout, bool[] galore, AllocationRounding rounding, TrainingLayout dtypes)
        : base(s, layout, galore, rounding, dtypes)
    {
        var parts = layout.Parts;
        unitOfPart = new int[parts.Count];
        for (int i = 0; i < parts.Count; i++) unitOfPart[i] = parts[i].Design.Kind == PartKind.Block ? i : Root;
        localRows = new long[Table.Count];
        for (int k = 0; k < Table.Count; k++) localRows[k] = Ceil(Table[k].Rows, Gpus);
        if (Offload != OffloadMode.None)
        {
            long host = 0;
            for (int k = 0; k < Table.Count; k++)
                host += LocalElements(k) * (Dtypes.WeightBytes + Dtypes.ShardGradBytes) + StateBytes(k, AllocationRounding.None);
            HostBytes = host;
        }
    }

    public override bool PerPart => true;

    long LocalElements(int k) => localRows[k] * Table[k].Cols;
    long PaddedElements(int k) => localRows[k] * Gpus * Table[k].Cols;
    bool OnGpu => Offload == OffloadMode.None;

    /// <summary>Parameters of a unit: those its parts own (the root: every part outside the blocks).</summary>
    IEnumerable<int> UnitParameters(int unit)
    {
        for (int i = 0; i < unitOfPart.Length; i++)
            if (unitOfPart[i] == unit)
                foreach (int k in Layout.Parts[i].Owned) yield return k;
    }

    long AllGatherOutput(int unit)
    {
        long elements = 0;
        foreach (int k in UnitParameters(unit)) elements += PaddedElements(k);
        return R(elements * Dtypes.GatherBytes);
    }

    long ReduceScatterInput(int unit)
    {
        long elements = 0;
        foreach (int k in UnitParameters(unit)) elements += PaddedElements(k);
        return R(elements * Dtypes.GradBytes);
    }

    int LastBlock
    {
        get
        {
            for (int i = unitOfPart.Length - 1; i >= 0; i--)
                if (unitOfPart[i] != Root) return i;
            throw new InvalidOperationException("a model without decoder blocks");
        }
    }

    /// <summary>Optimizer-state bytes of parameter k's shard.</summary>
    long StateBytes(int k, AllocationRounding rounding)
    {
        var t = Table[k];
        var setup = Spec.Optimizer;
        if (!GaLore[k]) return StateLayout.Bytes(t with { Rows = localRows[k] }, false, setup, Dtypes.States, Spec.Stack, rounding);
        var model = setup.Spec.Model;
        var full = ProjectionGeometry.For(t.Rows, t.Cols, setup.GaLore.Rank, setup.GaLore.ProjType);
        var type = model.ComputeType(Dtypes.States);
        var states = new List<StateTensor>(5) { new("projector", Spec.Stack.ProjectorElements(full, type), type) };
        long rows = full.Side == ProjectionSide.Right ? localRows[k] : full.LowRankRows;
        model.AddStates(new StateShape(rows, full.LowRankCols, true), setup, Dtypes.States, states);
        long total = 0;
        foreach (var st in states) total += Rounding.Apply(st.Bytes, rounding);
        return total;
    }

    public override CategoryBytes Persistent
    {
        get
        {
            var c = new CategoryBytes();
            if (OnGpu)
                for (int k = 0; k < Table.Count; k++)
                {
                    c.Add(MemoryCategory.Weights, R(LocalElements(k) * Dtypes.WeightBytes));
                    c.Add(MemoryCategory.OptimizerStates, StateBytes(k, RoundingMode));
                }
            // The last block's forward all-gather output, freed only by the next step's first all-gather.
            c.Add(MemoryCategory.Weights, AllGatherOutput(LastBlock));
            return c;
        }
    }

    public override CategoryBytes ModelStates
    {
        get
        {
            var c = new CategoryBytes();
            if (OnGpu)
                for (int k = 0; k < Table.Count; k++)
                {
                    c.Add(MemoryCategory.Weights, R(LocalElements(k) * Dtypes.WeightBytes));
                    c.Add(MemoryCategory.Gradients, R(LocalElements(k) * Dtypes.ShardGradBytes));
                    c.Add(MemoryCategory.OptimizerStates, StateBytes(k, RoundingMode));
                }
            return c;
        }
    }

    void Unshard(int unit, bool forward, EventLog e)
    {
        string name = unit == Root ? "root (embedding, norm, lm_head)" : "block";
        long output = AllGatherOutput(unit);
        Alloc(e, output, MemoryCategory.Weights, $"FSDP2: all-gather {name}");
        foreach (int k in UnitParameters(unit))
            Alloc(e, R(Table[k].Elements * Dtypes.GatherBytes), MemoryCategory.Weights, $"FSDP2: unsharded {name}");
        if (!forward) Free(e, output, MemoryCategory.Weights, $"FSDP2: all-gather output of {name} freed after copy-out");
    }

    void Reshard(int unit, EventLog e)
    {
        foreach (int k in UnitParameters(unit))
            Free(e, R(Table[k].Elements * Dtypes.GatherBytes), MemoryCategory.Weights, "FSDP2: reshard");
    }

    public override void StepStart(EventLog events)
    {
        if (Accum == 1 || !OnGpu) return;
        for (int k = 0; k < Table.Count; k++)
            Alloc(events, R(LocalElements(k) * Dtypes.ShardGradBytes), MemoryCategory.Gradients, "FSDP2: sharded .grad of earlier micro-batches");
    }

    public override void BeforeForward(int part, EventLog events)
    {
        int unit = unitOfPart[part];
        if (part == 0)
        {
            // The root's pre-forward: the whole root is gathered for the model's forward; the previous step's deferred output goes.
            Unshard(Root, forward: true, events);
            Free(events, AllGatherOutput(LastBlock), MemoryCategory.Weights, "FSDP2: previous step's all-gather output freed");
            return;
        }
        if (unit == Root) return;
        int previous = PreviousUnit(part);
        Unshard(unit, forward: true, events);
        Free(events, AllGatherOutput(previous), MemoryCategory.Weights, "FSDP2: previous all-gather output freed");
    }

    /// <summary>The unit all-gathered before part <paramref name="part"/>'s in forward (the root before the first block).</summary>
    int PreviousUnit(int part)
    {
        for (int i = part - 1; i >= 0; i--)
            if (unitOfPart[i] != Root) return unitOfPart[i];
        return Root;
    }

    public override void AfterForward(int part, EventLog events)
    {
        int unit = unitOfPart[part];
        if (unit != Root) Reshard(unit, events);
        else if (part == unitOfPart.Length - 1) Reshard(Root, events);
    }

    public override void BeforeBackward(int part, EventLog events)
    {
        if (part == unitOfPart.Length - 1)
        {
            // The root's pre-backward gathers it again and prefetches the last block.
            Unshard(Root, forward: false, events);
            Unshard(LastBlock, forward: false, events);
            return;
        }
        if (unitOfPart[part] == Root) return;
        for (int i = part - 1; i >= 0; i--)
            if (unitOfPart[i] != Root)
            {
                Unshard(unitOfPart[i], forward: false, events);   // prefetch one ahead
                return;
            }
    }

    public override void AfterBackward(int part, EventLog events)
    {
        int unit = unitOfPart[part];
        if (unit == Root && part != 0) return;   // the root reduces after the embedding, at the end of backward
        long input = ReduceScatterInput(unit);
        Alloc(events, input, MemoryCategory.Gradients, "FSDP2: reduce-scatter input");
        foreach (int k in UnitParameters(unit))
        {
            var b = Bound[k];
            if (b.GradAlive)
            {
                Free(events, b.GradBytes, MemoryCategory.Gradients, "FSDP2: unsharded grad freed");
                b.GradAlive = false;
            }
            long shard = R(LocalElements(k) * Dtypes.ShardGradBytes);
            if (OnGpu && Accum == 1) Alloc(events, shard, MemoryCategory.Gradients, "FSDP2: sharded .grad");
            else
            {
                Alloc(events, shard, MemoryCategory.Gradients, "FSDP2: reduced shard");
                Free(events, shard, MemoryCategory.Gradients, OnGpu ? "FSDP2: added into the sharded .grad" : "offload: copied to the host");
            }
        }
        Free(events, pendingReduceScatter, MemoryCategory.Gradients, "FSDP2: previous reduce-scatter input freed");
        pendingReduceScatter = input;
        Reshard(unit, events);
        if (part == 0)
        {
            Free(events, pendingReduceScatter, MemoryCategory.Gradients, "FSDP2: last reduce-scatter input freed");
            pendingReduceScatter = 0;
        }
    }

    public override bool OptimizerStep(EventLog events, Action<string, int> close)
    {
        if (!OnGpu) return true;   // CPUOffloadPolicy: the optimizer steps on the host
        var setup = Spec.Optimizer;
        var update = new long[Table.Count];
        for (int k = 0; k < Table.Count; k++)
        {
            var t = Table[k];
            ProjectionGeometry? local = null;
            if (GaLore[k])
            {
                var full = ProjectionGeometry.For(t.Rows, t.Cols, setup.GaLore.Rank, setup.GaLore.ProjType);
                local = full.Side == ProjectionSide.Right ? full with { LowRankRows = localRows[k] } : full;
            }
            update[k] = Spec.Stack.UpdateTransientBytes(new UpdateShape(localRows[k], t.Cols, t.IsMatrix, local, setup, Dtypes.States));
            if (GaLore[k] && Spec.RefreshStep)
            {
                var full = ProjectionGeometry.For(t.Rows, t.Cols, setup.GaLore.Rank, setup.GaLore.ProjType);
                // The refresh's SVD needs the whole gradient: an all-gather of its shards, then the one-GPU refresh transients.
                long refresh = t.Elements * Dtypes.ShardGradBytes
                               + Spec.Stack.RefreshTransientBytes(new UpdateShape(t.Rows, t.Cols, true, full, setup, Dtypes.States), DeviceKind.Cuda);
                update[k] = Math.Max(update[k], refresh);
            }
        }
        StepCompiler.EmitUpdates(Layout, GaLore, Graphs, update, Spec.Stack.StepsAllAtOnce(setup), Spec.RefreshStep, events, close);
        return true;
    }

    public override void ZeroGrad(EventLog events)
    {
        if (!OnGpu) return;
        for (int k = 0; k < Table.Count; k++)
            Free(events, R(LocalElements(k) * Dtypes.ShardGradBytes), MemoryCategory.Gradients, "zero_grad: sharded gradients freed");
    }
}
