using GaLore.Planner.Memory;

namespace GaLore.Planner.Fit;

/// <summary>A change to the query that makes it fit, with the resulting estimate.</summary>
/// <param name="Description">What to change, e.g. "use galore_adamw_8bit_layerwise".</param>
/// <param name="Arguments">The command-line flags that make the change.</param>
/// <param name="Estimate">Memory after the change.</param>
public sealed record Suggestion(string Description, string Arguments, MemoryEstimate Estimate);

/// <summary>The answer to a <see cref="FitQuery"/>.</summary>
/// <param name="Query">The question.</param>
/// <param name="Estimate">The predicted peak.</param>
/// <param name="Parameters">Trainable parameters.</param>
/// <param name="GaLoreParameters">Parameters GaLore projects under this query's target modules.</param>
/// <param name="MaxBatch">Largest batch that fits with everything else fixed (0 if none).</param>
/// <param name="Suggestions">Cheapest changes that make a non-fitting query fit (empty when it fits).</param>
/// <param name="Warnings">Things the user should know (BF16 on a pre-Ampere card, sequence beyond the context).</param>
public sealed record FitResult(FitQuery Query, MemoryEstimate Estimate, long Parameters, long GaLoreParameters, int MaxBatch,
    IReadOnlyList<Suggestion> Suggestions, IReadOnlyList<string> Warnings)
{
    /// <summary>Whether the predicted device-used peak is within the usable capacity.</summary>
    public bool Fits => Estimate.DeviceUsedBytes <= Query.UsableBytes;

    /// <summary>Usable capacity minus the predicted peak (negative when it does not fit).</summary>
    public long HeadroomBytes => Query.UsableBytes - Estimate.DeviceUsedBytes;

    /// <summary>Breakdown at the peak.</summary>
    public CategoryBytes Breakdown => Estimate.Breakdown;

    /// <summary>Longest sequence that fits at the query's batch, everything else fixed (<see cref="Search.AxisSearch.MaxSeq"/>:
    /// 0 if not even one token fits; <see cref="Search.AxisSearch.SeqSearchLimit"/> means at least that long).</summary>
    public int MaxSeq { get; init; }

    /// <summary>When it does not fit: catalogue GPUs that fit it, the longest sequence and the largest batch with
    /// checkpointing that fit (null when it fits or when suggestions were not asked for).</summary>
    public FitAlternatives? Alternatives { get; init; }
}
