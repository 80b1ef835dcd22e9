using GaLore.Planner.Memory;
using GaLore.Planner.Models.Layout;

namespace GaLore.Planner.Parallel;

/// <summary>
/// One GPU, no engine: the planner's own step. Its only hook is gradient accumulation (K &gt; 1): the parameters'
/// <c>.grad</c> persist across micro-batches, so on the last micro-batch every gradient is alive from the start of forward
/// (<see cref="ParallelStep"/>).
/// </summary>
public sealed class SingleDevice : ShardingStrategy
{
    public override string Name => "none";
    public override string Engine => "one GPU";
    public override bool Shards => false;
    public override bool Distributed => false;
    public override TrainingLayout Layout(Precision requested) => TrainingLayout.Of(requested);

    internal override ParallelStep Hooks(StepSpec s, ModelLayout layout, bool[] galore, AllocationRounding rounding) =>
        new ReplicaStep(s, layout, galore, rounding, Layout(s.Precision), []);
}

/// <summary>
/// Every GPU holds the whole model, its gradients and its optimizer states, as one GPU does, plus persistent gradient
/// buffers (<paramref name="buckets"/>, DDP's); gradients are kept as <c>.grad</c> until the optimizer step.
/// </summary>
internal sealed class ReplicaStep(StepSpec s, ModelLayout layout, bool[] galore, AllocationRounding rounding, TrainingLayout dtypes,
    IReadOnlyList<long> buckets) : ParallelStep(s, layout, galore, rounding, dtypes)
{
    public override CategoryBytes Persistent
    {
        get
        {
            var c = ReplicaPersistent(Spec.Precision);
            foreach (long b in buckets) c.Add(MemoryCategory.Gradients, R(b));
            return c;
        }
    }

    public override CategoryBytes ModelStates
    {
        get
        {
            var c = Persistent;
            for (int k = 0; k < Table.Count; k++) c.Add(MemoryCategory.Gradients, R(GradBytes(k)));
            return c;
        }
    }

    public override long DdpBucketBytes
    {
        get
        {
            long total = 0;
            foreach (long b in buckets) total += b;
            return total;
        }
    }

    public override void StepStart(EventLog events) => KeptGradientsFromEarlierMicroBatches(events);

    public override void GradientComplete(BoundParam p, EventLog events)
    {
        if (Accum > 1) AddIntoKeptGradient(p, events);
    }

    public override void ZeroGrad(EventLog events) => FreeKeptGradients(events);
}
