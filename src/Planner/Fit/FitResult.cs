using GaLore.Planner.Memory;
using GaLore.Planner.Parallel;

namespace GaLore.Planner.Fit;

/// <summary>A change to the query that makes it fit, with the resulting estimate.</summary>
/// <param name="Description">What to change, e.g. "use galore_adamw_8bit_layerwise".</param>
/// <param name="Arguments">The command-line flags that make the change.</param>
/// <param name="Estimate">Memory after the change.</param>
public sealed record Suggestion(string Description, string Arguments, MemoryEstimate Estimate)
{
    /// <summary>Full-parameter training or adapter fine-tuning.</summary>
    public SuggestionGroup Group { get; init; }
}

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

    /// <summary>What the run's GPUs, engine, offload and accumulation mean per GPU; null for one GPU and one micro-batch.</summary>
    public ParallelSummary? Parallel { get; init; }

    /// <summary>How the GPU count was chosen when it was asked for as "auto"; null when it was given.</summary>
    public GpuCountAnswer? GpuSearch { get; init; }

    /// <summary>Tokens per optimizer step: micro-batch × sequence × gradient-accumulation steps × GPUs.</summary>
    public long TokensPerOptimizerStep => Query.Step.Parallel.TokensPerOptimizerStep(Query.Batch, Query.Seq);
    /// <summary>Parameters that get gradients and optimizer states: all of them in full-parameter training, peft's
    /// "trainable params" (the adapter tensors) under <c>--peft</c>.</summary>
    public long TrainableParameters { get; init; }
    /// <summary>Longest sequence that fits at the query's batch, everything else fixed (<see cref="Search.AxisSearch.MaxSeq"/>:
    /// 0 if not even one token fits; <see cref="Search.AxisSearch.SeqSearchLimit"/> means at least that long).</summary>
    public int MaxSeq { get; init; }

    /// <summary>When it does not fit: catalogue GPUs that fit it, the longest sequence and the largest batch with
    /// checkpointing that fit (null when it fits or when suggestions were not asked for).</summary>
    public FitAlternatives? Alternatives { get; init; }
}

/// <summary>The answer to "how many GPUs?" (<c>--gpus auto</c>).</summary>
/// <param name="Found">Whether some GPU count in [<paramref name="From"/>, <paramref name="To"/>] fits; the result is then for
/// the fewest, otherwise for <paramref name="To"/>.</param>
/// <param name="From">Fewest GPUs the strategy runs on.</param>
/// <param name="To">Most GPUs searched (the same as <paramref name="From"/> for a strategy that replicates).</param>
public sealed record GpuCountAnswer(bool Found, int From, int To);
