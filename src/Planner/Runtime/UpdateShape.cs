using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;

namespace GaLore.Planner.Runtime;

/// <summary>What an optimizer step for one parameter works on: the sizes its transients depend on.</summary>
/// <param name="Rows">Parameter rows m.</param>
/// <param name="Cols">Parameter columns n (1 for vectors).</param>
/// <param name="IsMatrix">Whether it is 2-D.</param>
/// <param name="GaLore">Projection geometry when GaLore projects this parameter.</param>
/// <param name="Setup">The optimizer (family, knobs).</param>
/// <param name="Precision">Storage precision of weights and gradients.</param>
public readonly record struct UpdateShape(long Rows, long Cols, bool IsMatrix, ProjectionGeometry? GaLore, OptimizerSetup Setup,
    Precision Precision)
{
    /// <summary>The optimizer family.</summary>
    public OptimizerModel Model => Setup.Spec.Model;

    /// <summary>Whether the parameter is an <c>nn.Embedding</c> weight (bitsandbytes' 8-bit names keep 32-bit states for it).</summary>
    public bool IsEmbedding { get; init; }

    /// <summary>Elements of the full parameter (n = m × cols).</summary>
    public long Elements => Rows * Cols;

    /// <summary>Elements of what the base optimizer sees: the projected gradient under GaLore, else the gradient.</summary>
    public long OptimizerElements => GaLore?.LowRankElements ?? Elements;

    /// <summary>Bytes per weight element.</summary>
    public int WeightBytes => Precision.WeightBytes;

    /// <summary>Bytes per gradient element.</summary>
    public int GradBytes => Precision.GradientBytes;

    /// <summary>Bytes per element of what the base optimizer computes in (and of AdamW's moments and the projector).</summary>
    public int StateBytes => Model.ComputeType(Precision).Bits() / 8;

    /// <summary>Builds the shape for a parameter under a setup. A 3-D tensor (stacked experts, never projected) is sized
    /// as its [Count·Rows, Cols] matrix: every optimizer's transients depend only on its element count.</summary>
    public static UpdateShape For(ParameterTensor p, bool galore, OptimizerSetup setup, Precision precision) =>
        new(p.Count * p.Rows, p.Cols, p.IsMatrix,
            galore ? ProjectionGeometry.For(p.Rows, p.Cols, setup.GaLore.Rank, setup.GaLore.ProjType) : null,
            setup, precision) { IsEmbedding = p.Kind == TensorKind.Embedding };
}
