using GaLore.Planner.Devices;
using GaLore.Planner.Fit;
using GaLore.Planner.Models;
using GaLore.Planner.Search;

namespace GaLore.Planner.Capacity;

/// <summary>
/// One GPU × model × optimizer of a capacity report: the batch-1 verdict at the report's sequence length, the
/// largest batch at that length, and the longest sequence at batch 1. "Fits" means the predicted device-used
/// peak (allocator reserved + cuBLAS workspace + CUDA context, what <c>nvidia-smi</c> shows; see
/// <see cref="MemoryEstimate"/>) is at most the usable capacity.
/// </summary>
/// <param name="Gpu">The card.</param>
/// <param name="Model">The model.</param>
/// <param name="Parameters">The model's trainable parameters (<c>ParameterTable</c>'s count).</param>
/// <param name="Optimizer">Canonical optimizer name.</param>
/// <param name="Rank">GaLore rank used (null for optimizers without GaLore).</param>
/// <param name="Seq">Sequence length of the verdict and of <paramref name="MaxBatch"/>.</param>
/// <param name="UsableBytes">Capacity minus the reserve.</param>
/// <param name="Batch1">Prediction at batch 1 × <paramref name="Seq"/>; null when the configuration is invalid.</param>
/// <param name="MaxBatch">Largest batch at <paramref name="Seq"/> (0: none; <see cref="FitCalculator.BatchSearchLimit"/>: at least that).</param>
/// <param name="AtMaxBatch">Prediction at <paramref name="MaxBatch"/> (null when it is 0 or the row is invalid).</param>
/// <param name="MaxSeq">Longest sequence at batch 1 (0: none; <see cref="AxisSearch.SeqSearchLimit"/>: at least that).</param>
/// <param name="Invalid">Why the configuration cannot run (e.g. the rank exceeds a projected weight's smaller side), else null.</param>
public sealed record CapacityRow(
    GpuSpec Gpu,
    ModelConfig Model,
    long Parameters,
    string Optimizer,
    int? Rank,
    int Seq,
    long UsableBytes,
    MemoryEstimate? Batch1,
    int MaxBatch,
    MemoryEstimate? AtMaxBatch,
    int MaxSeq,
    string? Invalid)
{
    /// <summary>Whether the row trains peft adapters (a <c>+lora</c> / <c>+qlora</c> entry, <see cref="CapacityEntry"/>).</summary>
    public bool TrainsAdapters { get; init; }

    /// <summary>Whether batch 1 fits at <see cref="Seq"/>.</summary>
    public bool Fits => Batch1 is { } e && e.DeviceUsedBytes <= UsableBytes;

    /// <summary>Usable capacity minus the batch-1 peak (negative when it does not fit; 0 when invalid).</summary>
    public long HeadroomBytes => Batch1 is { } e ? UsableBytes - e.DeviceUsedBytes : 0;

    /// <summary>Tokens per optimizer step at the largest batch: the report's throughput proxy.</summary>
    public long TokensPerStep => (long)MaxBatch * Seq;

    /// <summary>Whether the largest batch reached the planner's search limit (the true limit is higher).</summary>
    public bool MaxBatchCapped => MaxBatch >= FitCalculator.BatchSearchLimit;

    /// <summary>Whether the longest sequence reached the search limit.</summary>
    public bool MaxSeqCapped => MaxSeq >= AxisSearch.SeqSearchLimit;

    /// <summary>Whether the longest sequence that fits in memory is beyond the model's <c>max_position_embeddings</c>.</summary>
    public bool MaxSeqBeyondContext => MaxSeq > Model.MaxPositionEmbeddings;
}
