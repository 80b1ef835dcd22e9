using GaLore.Planner.Memory;
using GaLore.Planner.Models.Layout;

namespace GaLore.Planner.Parallel;

/// <summary>
/// PyTorch <c>DistributedDataParallel</c> (Li et al. 2020, arXiv 2006.15704; <c>torch/nn/parallel/distributed.py</c>,
/// <c>torch/csrc/distributed/c10d/reducer.cpp</c>): every GPU keeps a full replica — weights, gradients and optimizer
/// states exactly as on one GPU, GaLore's low-rank states and projectors included — and the reducer all-reduces the
/// gradients in flat buckets. The buckets cover every parameter that requires a gradient, filled in reverse parameter
/// order, the first closed at 1 MiB (<c>_DEFAULT_FIRST_BUCKET_BYTES</c>) and the others at <c>bucket_cap_mb</c> = 25 MiB;
/// each bucket's flat tensor is allocated when DDP wraps the model and lives as long as it. With
/// <c>gradient_as_bucket_view=False</c> (the default; also accelerate's) autograd writes <c>.grad</c> as usual and the
/// reducer copies it into the bucket, so the gradients exist twice — the "DDP doubles gradient memory" users report
/// (jiaweizzhao/GaLore#55); <c>gradient_as_bucket_view=True</c> makes <c>.grad</c> views into the buckets.
/// </summary>
public sealed class DdpStrategy : ShardingStrategy
{
    /// <summary><c>dist._DEFAULT_FIRST_BUCKET_BYTES</c>: 1 MiB.</summary>
    public const long FirstBucketBytes = 1L << 20;

    /// <summary><c>bucket_cap_mb</c>'s default, 25 (MiB: <c>int(bucket_cap_mb * 1024 * 1024)</c>).</summary>
    public const long BucketCapBytes = 25L << 20;

    public override string Name => "ddp";
    public override string Engine => "PyTorch DistributedDataParallel";
    public override bool Shards => false;
    public override TrainingLayout Layout(Precision requested) => TrainingLayout.Of(requested);

    /// <summary>
    /// The reducer's buckets in bytes: parameters in reverse order, each bucket closed once it reaches its limit (1 MiB for
    /// the first, 25 MiB after; <c>compute_bucket_assignment_by_size</c>), in the gradients' dtype.
    /// </summary>
    public static IReadOnlyList<long> Buckets(ModelLayout layout, int gradBytes)
    {
        var buckets = new List<long>();
        long current = 0, limit = FirstBucketBytes;
        var table = layout.Parameters;
        for (int k = table.Count - 1; k >= 0; k--)
        {
            current += table[k].Elements * gradBytes;
            if (current < limit) continue;
            buckets.Add(current);
            current = 0;
            limit = BucketCapBytes;
        }
        if (current > 0) buckets.Add(current);
        return buckets;
    }

    internal override ParallelStep Hooks(StepSpec s, ModelLayout layout, bool[] galore, AllocationRounding rounding) =>
        new ReplicaStep(s, layout, galore, rounding, Layout(s.Precision), Buckets(layout, s.Precision.GradientBytes));
}
