using GaLore.Planner.Memory;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Optimizers.Families;

/// <summary>
/// Adafactor (Shazeer &amp; Stern 2018, arXiv 1804.04235 §3; <c>transformers.Adafactor</c>, which HF builds with
/// <c>scale_parameter=False, relative_step=False</c>): the gradient is upcast to float32 first, so states are float32;
/// ≥2-D tensors keep a row and a column vector (over the last two dims, one pair per leading index of a 3-D tensor),
/// 1-D ones a full <c>exp_avg_sq</c>; <c>exp_avg</c> only when β1 is set.
/// </summary>
public sealed class AdafactorModel : OptimizerModel
{
    /// <summary>β1: a first moment exists only when it is set (HF leaves it unset).</summary>
    public static readonly OptimizerKnob Beta1 = new("beta1", "none", "first-moment coefficient; adds a float32 exp_avg", true)
    {
        Min = 0, Max = 1, MaxExclusive = true,
    };

    public override string Id => "adafactor";
    public override string Library => "transformers.Adafactor; galore_torch.GaLoreAdafactor for GaLore";
    public override IReadOnlyList<OptimizerKnob> Knobs { get; } = [Beta1];
    public override DType ComputeType(Precision precision) => DType.Float32;

    public override void AddStates(in StateShape shape, OptimizerSetup setup, Precision precision, List<StateTensor> states)
    {
        long n = shape.Elements;
        if (setup.Knobs.Number(Beta1) is not null) states.Add(new StateTensor("exp_avg", n, DType.Float32));
        if (shape.IsMatrix)
        {
            // transformers.Adafactor factors the last two dims: row = shape[:-1], col = shape[:-2] + shape[-1:].
            states.Add(new StateTensor("exp_avg_sq_row", shape.Count * shape.Rows, DType.Float32));
            states.Add(new StateTensor("exp_avg_sq_col", shape.Count * shape.Cols, DType.Float32));
        }
        else states.Add(new StateTensor("exp_avg_sq", n, DType.Float32));
    }

    /// <summary>
    /// <c>transformers.Adafactor.step</c> per parameter: float32 copies of a 16-bit gradient and weight, <c>grad²+eps</c>
    /// and the factored estimate (two full float32 tensors at once), then <c>-update</c>. galore_torch's Adafactor first
    /// upcasts the gradient and projects it (R), then the same on R-sized tensors plus the full-size projected-back update.
    /// </summary>
    public override long PyTorchUpdateBytes(in UpdateShape u)
    {
        long n = u.Elements, r = u.OptimizerElements;
        int gb = u.GradBytes, wb = u.WeightBytes;
        long upcastGrad = gb == 2 ? 4 * n : 0, upcastWeight = wb == 2 ? 4 * n : 0;
        if (u.GaLore is null) return upcastGrad + 8 * n + upcastWeight;
        return Math.Max(upcastGrad + 4 * r, 8 * r + 8 * n + upcastWeight);
    }

    /// <summary>This project's Adafactor (<c>src/Kernels/Optimizers/Rules/AdafactorRule.cs</c>): a float32 copy of the
    /// (projected) gradient, then grad² and the update one at a time; under GaLore R = project(G) first, BF16 copies of R and
    /// the projector for <c>addmm_</c> when the weight is BF16, and for <c>full</c> the m × r product P·N in W's dtype.</summary>
    public override long TorchSharpUpdateBytes(in UpdateShape u)
    {
        long r = u.OptimizerElements;
        int gb = u.GradBytes, wb = u.WeightBytes;
        long projected = u.GaLore is null ? 0 : r * gb;
        long upcast = gb == 2 ? 4 * r : 0;
        long update = 4 * r;
        long cast = u.GaLore is { } g && wb == 2 ? r * 2 + g.ProjectorElements * 2 : 0;
        long core = u.GaLore is { Side: ProjectionSide.Both } f ? f.LeftProjectorRows * f.Rank * wb : 0;
        return projected + upcast + update + cast + core;
    }

    public override bool HasTorchSharpKernel => true;
}
