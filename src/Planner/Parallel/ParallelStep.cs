using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models;
using GaLore.Planner.Models.Layout;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Parallel;

/// <summary>
/// What the strategies share when they put one GPU's memory on the step timeline: the step, its model layout, which
/// parameters GaLore projects, the allocator's rounding, N and K, the engine's dtypes, and gradient accumulation for
/// gradients kept as <c>.grad</c> (the parameters' own <c>.grad</c>, which persist across micro-batches: on the last
/// micro-batch — the one with the optimizer step — the earlier ones' sum is alive from the start, and each new gradient
/// is a temporary that autograd's AccumulateGrad adds into it in place).
/// </summary>
internal abstract class ParallelStep : StepHooks
{
    protected ParallelStep(StepSpec s, ModelLayout layout, bool[] galore, AllocationRounding rounding, TrainingLayout dtypes)
    {
        Spec = s;
        Layout = layout;
        Table = layout.Parameters;
        GaLore = galore;
        RoundingMode = rounding;
        Gpus = s.Parallel.Gpus;
        Accum = s.Parallel.GradAccum;
        Offload = s.Parallel.Offload;
        Dtypes = dtypes;
    }

    protected readonly StepSpec Spec;
    protected readonly ModelLayout Layout;
    protected readonly IReadOnlyList<ParameterTensor> Table;
    protected readonly bool[] GaLore;
    protected readonly AllocationRounding RoundingMode;
    protected readonly int Gpus;
    protected readonly int Accum;
    protected readonly OffloadMode Offload;
    protected readonly TrainingLayout Dtypes;
    protected IReadOnlyList<OpGraph> Graphs = [];
    protected IReadOnlyList<BoundParam> Bound = [];

    public override Precision Compute => Dtypes.Compute;

    /// <summary>Host memory this GPU's process needs for what is offloaded (pinned buffers; 0 without offload).</summary>
    public long HostBytes { get; protected set; }

    /// <summary>
    /// The model states this GPU keeps, as the ZeRO paper counts them (<see cref="ZeroModelStates"/>): resident weights (not
    /// what is gathered for a moment), the gradients kept for the optimizer step (with DDP's buckets), and the optimizer
    /// states (fp32 master weights included). What is offloaded is not on the GPU.
    /// </summary>
    public abstract CategoryBytes ModelStates { get; }

    /// <summary>Bytes of DDP's gradient buckets on this GPU (0 for other engines).</summary>
    public virtual long DdpBucketBytes => 0;

    public override long GradBytes(int parameter) => Table[parameter].Elements * Dtypes.GradBytes;

    public override void Prepare(ModelLayout layout, IReadOnlyList<OpGraph> graphs, IReadOnlyList<BoundParam> bound, bool checkpointing)
    {
        Graphs = graphs;
        Bound = bound;
    }

    /// <summary>Bytes as the program's allocator rounds one tensor.</summary>
    protected long R(long bytes) => Rounding.Apply(bytes, RoundingMode);

    protected static void Alloc(EventLog e, long bytes, MemoryCategory c, string label)
    {
        if (bytes > 0) e.Add(new StepEvent(Extent.Fixed(bytes), c, false, label));
    }

    protected static void Free(EventLog e, long bytes, MemoryCategory c, string label)
    {
        if (bytes > 0) e.Add(new StepEvent(Extent.Fixed(bytes), c, true, label));
    }

    /// <summary>Weights and optimizer states of a replica, exactly as the one-GPU compiler counts them.</summary>
    protected CategoryBytes ReplicaPersistent(Precision p)
    {
        var c = new CategoryBytes();
        for (int k = 0; k < Table.Count; k++)
        {
            c.Add(MemoryCategory.Weights, R(Table[k].Elements * p.WeightBytes));
            c.Add(MemoryCategory.OptimizerStates, StateLayout.Bytes(Table[k], GaLore[k], Spec.Optimizer, p, Spec.Stack, RoundingMode));
        }
        return c;
    }

    /// <summary>Gradient accumulation of <c>.grad</c>: the sum of the earlier micro-batches, alive from the start.</summary>
    protected void KeptGradientsFromEarlierMicroBatches(EventLog e)
    {
        if (Accum == 1) return;
        for (int k = 0; k < Table.Count; k++)
            Alloc(e, GradBytes(k), MemoryCategory.Gradients, $"gradient accumulation: .grad of micro-batches 1..{Accum - 1}");
    }

    /// <summary>Gradient accumulation of <c>.grad</c>: this micro-batch's gradient is added in place and freed.</summary>
    protected void AddIntoKeptGradient(BoundParam p, EventLog e)
    {
        Free(e, p.GradBytes, MemoryCategory.Gradients, "gradient accumulation: grad added into .grad");
        p.GradAlive = false;
    }

    /// <summary>Frees the accumulated <c>.grad</c> sums (zero_grad after the step).</summary>
    protected void FreeKeptGradients(EventLog e)
    {
        if (Accum == 1) return;
        for (int k = 0; k < Table.Count; k++)
            Free(e, GradBytes(k), MemoryCategory.Gradients, "zero_grad: accumulated gradients freed");
    }

    /// <summary>Transient bytes of the optimizer updating one flat 1-D fp32 partition of <paramref name="elements"/> elements
    /// (how DeepSpeed hands its partitions to the optimizer it wraps).</summary>
    protected long FlatUpdateBytes(long elements) =>
        elements <= 0 ? 0 : Spec.Stack.UpdateTransientBytes(new UpdateShape(elements, 1, false, null, Spec.Optimizer, Dtypes.States));

    /// <summary>Optimizer-state bytes of one flat 1-D partition of <paramref name="elements"/> elements.</summary>
    protected long FlatStateBytes(long elements)
    {
        if (elements <= 0) return 0;
        var states = new List<StateTensor>(4);
        Spec.Optimizer.Spec.Model.AddStates(new StateShape(elements, 1, false), Spec.Optimizer, Dtypes.States, states);
        long total = 0;
        foreach (var t in states) total += R(t.Bytes);
        return total;
    }

    /// <summary>Host bytes (unrounded: pinned host memory) of the same states.</summary>
    protected long FlatStateHostBytes(long elements)
    {
        if (elements <= 0) return 0;
        var states = new List<StateTensor>(4);
        Spec.Optimizer.Spec.Model.AddStates(new StateShape(elements, 1, false), Spec.Optimizer, Dtypes.States, states);
        long total = 0;
        foreach (var t in states) total += t.Bytes;
        return total;
    }

    /// <summary>Parameter indices of Hugging Face's two optimizer groups: with weight decay (every weight matrix) and
    /// without (norm weights and biases; <c>Trainer.get_decay_parameter_names</c>).</summary>
    protected (List<int> Decay, List<int> NoDecay) HfParameterGroups()
    {
        var decay = new List<int>();
        var noDecay = new List<int>();
        for (int k = 0; k < Table.Count; k++)
            (Table[k].Kind is TensorKind.Norm or TensorKind.Bias ? noDecay : decay).Add(k);
        return (decay, noDecay);
    }

    /// <summary>⌈a / b⌉.</summary>
    protected static long Ceil(long a, long b) => (a + b - 1) / b;
}
