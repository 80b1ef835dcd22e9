namespace GaLore.Planner.Parallel;

/// <summary>
/// The DeepSpeed ZeRO settings that size its buffers, with DeepSpeed's defaults (<c>deepspeed/runtime/zero/config.py</c>,
/// DeepSpeedZeroConfig, 0.16.5). Hugging Face's "auto" values differ (<c>reduce_bucket_size = hidden²</c>,
/// <c>stage3_prefetch_bucket_size = 0.9·hidden²</c>, <c>stage3_param_persistence_threshold = 10·hidden</c>); the planner uses
/// DeepSpeed's defaults. All sizes are in elements.
/// </summary>
/// <param name="ReduceBucketSize"><c>reduce_bucket_size</c> (5e8): the gradient bucket (IPG buffer) in the model dtype.</param>
/// <param name="PrefetchBucketSize"><c>stage3_prefetch_bucket_size</c> (5e7): parameters ZeRO-3 prefetches per fetch.</param>
/// <param name="MaxLiveParameters"><c>stage3_max_live_parameters</c> (1e9): gathered parameters that bound the prefetch.</param>
/// <param name="MaxReuseDistance"><c>stage3_max_reuse_distance</c> (1e9): a parameter used again within this many elements of
/// the trace is not released.</param>
/// <param name="ParamPersistenceThreshold"><c>stage3_param_persistence_threshold</c> (1e5): parameters of at most this many
/// elements are never partitioned (whole on every GPU).</param>
/// <param name="SubGroupSize"><c>sub_group_size</c> (1e9): ZeRO-3 steps its fp32 partition in sub-groups of at least this many elements.</param>
public sealed record ZeroConfig(
    long ReduceBucketSize = 500_000_000,
    long PrefetchBucketSize = 50_000_000,
    long MaxLiveParameters = 1_000_000_000,
    long MaxReuseDistance = 1_000_000_000,
    long ParamPersistenceThreshold = 100_000,
    long SubGroupSize = 1_000_000_000)
{
    /// <summary>DeepSpeed's defaults.</summary>
    public static readonly ZeroConfig Default = new();
}
