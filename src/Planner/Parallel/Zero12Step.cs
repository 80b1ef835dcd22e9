using GaLore.Planner.Memory;
using GaLore.Planner.Models.Layout;

namespace GaLore.Planner.Parallel;

/// <summary>
/// DeepSpeed's <c>DeepSpeedZeroOptimizer</c> (<c>deepspeed/runtime/zero/stage_1_and_2.py</c>, 0.16.5), which runs both
/// ZeRO-1 and ZeRO-2, on one GPU's timeline. Each optimizer parameter group is flattened into one 16-bit buffer, padded to
/// a multiple of 2N elements, kept whole on every GPU; GPU r owns the r-th of N equal partitions and keeps an fp32 master
/// copy of it (<c>clone().float()</c>) with the optimizer's states — the optimizer is handed flat 1-D fp32 partitions.
/// Each <c>backward()</c> allocates the reduction bucket (<c>ipg_buffer</c>, <c>reduce_bucket_size</c> elements in the
/// model dtype; one buffer, as <c>overlap_comm</c> defaults to false below stage 3). Gradients reduced for this GPU's
/// partition are copied into <c>grads_in_partition</c>: the full size of every parameter that overlaps the partition.
/// The step, per group: gradients outside the partition are dropped, the partition's gradients flattened (a 16-bit copy)
/// and cast to an fp32 gradient, the 16-bit ones freed, the optimizer steps the fp32 partition, the fp32 gradient is freed.
/// With <c>offload_optimizer</c> the master partition, states and an fp32 gradient buffer live in pinned host memory and the
/// optimizer steps there; the updated fp32 partition is copied back to the GPU before the 16-bit copy.
/// </summary>
internal sealed class Zero12Step : ParallelStep
{
    readonly int stage;
    readonly ZeroConfig config;
    readonly List<long> partitions = [];   // elements of this GPU's partition, per group
    readonly long flatElements;            // padded flat 16-bit groups
    readonly long gradsInPartitionBytes;   // grads_in_partition on the busiest GPU (the planner predicts that GPU)
    readonly long bucketBytes;

    public Zero12Step(int stage, ZeroConfig config, StepSpec s, ModelLayout layout, bool[] galore, AllocationRounding rounding)
        : base(s, layout, galore, rounding, ZeroLayouts.For(s.Precision))
    {
        this.stage = stage;
        this.config = config;
        var (decay, noDecay) = HfParameterGroups();
        var inPartition = new long[Gpus];
        foreach (var group in new[] { decay, noDecay })
        {
            if (group.Count == 0) continue;
            long numel = 0;
            foreach (int k in group) numel += Table[k].Elements;
            // flatten_dense_tensors_aligned(…, nccl_start_alignment_factor (2) · dp_size): padded to a multiple of 2N.
            long padded = Ceil(numel, 2L * Gpus) * 2 * Gpus;
            long partition = padded / Gpus;
            partitions.Add(partition);
            flatElements += padded;
            AddParametersInPartitions(group, partition, inPartition);
        }
        long busiest = 0;
        foreach (long e in inPartition) busiest = Math.Max(busiest, e);
        gradsInPartitionBytes = busiest * Dtypes.GradBytes;
        bucketBytes = config.ReduceBucketSize * Dtypes.GradBytes;
        long host = 0;
        if (Offload != OffloadMode.None)
            foreach (long p in partitions) host += (long)Dtypes.MasterBytes * p + FlatStateHostBytes(p) + 4L * p;
        HostBytes = host;
    }

    /// <summary>Adds, per GPU, the elements <c>grads_in_partition</c> holds for one group: the full size of every parameter
    /// that overlaps the GPU's partition of the flat group (<c>params_in_partition</c>; <c>copy_grads_in_partition</c> copies
    /// whole gradients).</summary>
    void AddParametersInPartitions(List<int> group, long partition, long[] perGpu)
    {
        long offset = 0;
        foreach (int k in group)
        {
            long n = Table[k].Elements;
            long first = offset / partition, last = Math.Min(Gpus - 1, (offset + n - 1) / partition);
            for (long r = first; r <= last; r++) perGpu[r] += n;
            offset += n;
        }
    }

    bool OffloadsOptimizer => Offload != OffloadMode.None;

    public override CategoryBytes Persistent
    {
        get
        {
            var c = new CategoryBytes();
            c.Add(MemoryCategory.Weights, R(flatElements * Dtypes.WeightBytes));
            if (!OffloadsOptimizer)
                foreach (long p in partitions)
                    c.Add(MemoryCategory.OptimizerStates, R((long)Dtypes.MasterBytes * p) + FlatStateBytes(p));
            return c;
        }
    }

    bool PartitionOnGpu => !OffloadsOptimizer;

    public override CategoryBytes ModelStates
    {
        get
        {
            var c = Persistent;
            if (stage == 1)
                for (int k = 0; k < Table.Count; k++) c.Add(MemoryCategory.Gradients, R(GradBytes(k)));
            else if (PartitionOnGpu) c.Add(MemoryCategory.Gradients, R(gradsInPartitionBytes));
            return c;
        }
    }

    public override void StepStart(EventLog events)
    {
        if (Accum == 1) return;
        if (stage == 1) KeptGradientsFromEarlierMicroBatches(events);
        else if (PartitionOnGpu) Alloc(events, R(gradsInPartitionBytes), MemoryCategory.Gradients, "ZeRO-2: gradient partition of earlier micro-batches");
    }

    public override void BeforeBackward(int part, EventLog events)
    {
        if (part != Layout.Parts.Count - 1) return;
        Alloc(events, R(bucketBytes), MemoryCategory.Gradients, $"ZeRO-{stage}: reduce bucket (reduce_bucket_size {config.ReduceBucketSize:0.#e0} elements)");
        if (stage == 2 && Accum == 1 && PartitionOnGpu)
            Alloc(events, R(gradsInPartitionBytes), MemoryCategory.Gradients, "ZeRO-2: gradient partition (grads_in_partition)");
    }

    public override void GradientComplete(BoundParam p, EventLog events)
    {
        if (stage == 2)
        {
            Free(events, p.GradBytes, MemoryCategory.Gradients, "ZeRO-2: grad copied into the reduce bucket");
            p.GradAlive = false;
        }
        else if (Accum > 1) AddIntoKeptGradient(p, events);
    }

    public override void AfterBackward(int part, EventLog events)
    {
        if (part != 0) return;
        if (stage == 2)
        {
            Free(events, R(bucketBytes), MemoryCategory.Gradients, "ZeRO-2: reduce bucket released after the last reduction");
            return;
        }
        // ZeRO-1 reduces at the accumulation boundary, after backward: every gradient goes through the bucket, this GPU's
        // partition is copied out, and the full gradients are dropped.
        if (PartitionOnGpu) Alloc(events, R(gradsInPartitionBytes), MemoryCategory.Gradients, "ZeRO-1: gradients reduced into the partition");
        if (Accum > 1) FreeKeptGradients(events);
        foreach (var b in Bound)
            if (b.GradAlive)
            {
                Free(events, b.GradBytes, MemoryCategory.Gradients, "ZeRO-1: grad reduced");
                b.GradAlive = false;
            }
    }

    public override bool OptimizerStep(EventLog events, Action<string, int> close)
    {
        if (stage == 1) Free(events, R(bucketBytes), MemoryCategory.Gradients, "ZeRO-1: gradients outside this partition dropped (reduce bucket freed)");
        for (int g = 0; g < partitions.Count; g++)
        {
            long p = partitions[g];
            if (OffloadsOptimizer)
            {
                Alloc(events, R(4 * p), MemoryCategory.Other, "offload: updated fp32 partition copied back to the GPU");
                Free(events, R(4 * p), MemoryCategory.Other, "offload: fp32 partition copy freed");
                continue;
            }
            Alloc(events, R(p * Dtypes.GradBytes), MemoryCategory.Other, "optimizer step: partition gradients flattened");
            Alloc(events, R(4 * p), MemoryCategory.Gradients, "optimizer step: fp32 gradient of the partition");
            Free(events, R(p * Dtypes.GradBytes), MemoryCategory.Other, "optimizer step: flattened copy freed");
            if (g == partitions.Count - 1)
                Free(events, R(gradsInPartitionBytes), MemoryCategory.Gradients, "optimizer step: 16-bit gradient partition freed");
            long update = FlatUpdateBytes(p);
            Alloc(events, R(update), MemoryCategory.Other, "optimizer step: update of the fp32 partition");
            Free(events, R(update), MemoryCategory.Other, "optimizer step: update done");
            Free(events, R(4 * p), MemoryCategory.Gradients, "optimizer step: fp32 gradient freed");
        }
        close("optimizer step", 1);
        return true;
    }
}
