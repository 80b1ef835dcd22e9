using GaLore.Planner.Runtime;

namespace GaLore.Planner.Memory.Graph;

/// <summary>What an op graph depends on besides the part's design: precision, the runtime's implementation choices on
/// the device, and the attention kernel. Byte widths per element: <see cref="ActivationBytes"/> for matmul
/// inputs/outputs, <see cref="ResidualBytes"/> for the residual stream (see <see cref="Precision"/>).</summary>
/// <param name="Precision">Storage and compute precision.</param>
/// <param name="Flavor">The runtime's graph-shaping choices on the device.</param>
/// <param name="Attention">Fused (SDPA) or eager attention.</param>
public sealed record GraphContext(Precision Precision, GraphFlavor Flavor, AttentionKind Attention)
{
    /// <summary>Whether the sequences are at least the model's <see cref="Models.Layout.ModelLayout.LongSequenceFrom"/> long
    /// (its sliding window): Hugging Face then materialises the sliding-window masks it otherwise skips. The step compiler
    /// builds a second program with this set for such models.</summary>
    public bool LongSequence { get; init; }

    /// <summary>Bytes per activation element (a).</summary>
    public long ActivationBytes => Precision.ActivationBytes;

    /// <summary>Bytes per residual-stream element (r).</summary>
    public long ResidualBytes => Precision.ResidualBytes;

    /// <summary>Whether every Linear first casts its weight to BF16 (autocast).</summary>
    public bool CastsWeights => Precision.CastsWeights;

    /// <summary>peft's adapters and frozen base for this part (null: full-parameter training). Read by
    /// <see cref="GraphParts.Linear"/> and <see cref="GraphParts.RmsNorm"/>; part of the step compiler's graph cache key.</summary>
    public Adapters.PartAdapters? Adapters { get; init; }
}
