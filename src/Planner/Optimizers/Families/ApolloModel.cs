using GaLore.Planner.Memory;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Optimizers.Families;

/// <summary>
/// APOLLO (Zhu et al. 2024, arXiv 2412.05270; <c>apollo_torch.APOLLOAdamW</c>, apollo-torch 1.0.3). For a target weight G
/// (m × n) it projects the gradient with a random Gaussian matrix (<c>GradientProjector</c>, regenerated from a
/// per-parameter seed every <c>update_proj_gap</c> steps — no SVD), keeps AdamW moments of the projection R
/// (max(m, n) × r, the gradient's dtype, orientation as GaLore's <see cref="ProjectionGeometry"/>), and uses them only to
/// estimate how Adam would rescale the gradient: channel-wise, one factor per row (m ≥ n) or column (m &lt; n),
/// ‖N‖/‖R‖ with N = m/(√v + ε); or tensor-wise, one scalar. The full gradient times that factor is the update, limited by
/// Fira's norm-growth limiter (arXiv 2410.01623), which keeps the last scaled-gradient norm as a 0-d tensor
/// <c>scaled_grad</c>. APOLLO-Mini is rank 1 with tensor-wise scaling (<c>optim_args="rank=1,scale_type=tensor,scale=128"</c>).
/// Non-target parameters get full-size AdamW moments. Hugging Face (<c>_get_apollo_optimizer</c>) reads rank 128,
/// proj random, scale_type channel, update_proj_gap 200, scale 1.0, proj_type std.
/// </summary>
public sealed class ApolloModel : OptimizerModel
{
    /// <summary>How the projection is made.</summary>
    public static readonly OptimizerKnob Proj = new("proj", "random",
        "random: a seeded Gaussian projection (no SVD); svd: GaLore's SVD projector (its workspace at refreshes)", true, KnobKind.Choice)
    {
        Choices = ["random", "svd"],
    };

    /// <summary>Channel- or tensor-wise gradient scaling.</summary>
    public static readonly OptimizerKnob ScaleType = new("scale_type", "channel",
        "channel: one scaling factor per row/column (APOLLO); tensor: one per matrix (APOLLO-Mini)", true, KnobKind.Choice)
    {
        Choices = ["channel", "tensor"],
    };

    public override string Id => "apollo_adamw";
    public override string Library => "apollo_torch.APOLLOAdamW";
    public override IReadOnlyList<OptimizerKnob> Knobs { get; } = [Proj, ScaleType];
    public override DType ComputeType(Precision precision) => DTypes.FloatOfBytes(precision.GradientBytes);

    /// <summary>Whether the scaling is channel-wise.</summary>
    public static bool ChannelWise(OptimizerSetup setup) => setup.Knobs.Text(ScaleType) == "channel";

    public override ProjectionRefresh RefreshKind(OptimizerSetup setup) =>
        setup.Knobs.Text(Proj) == "svd" ? ProjectionRefresh.Svd : ProjectionRefresh.Gaussian;

    /// <summary>The reference raises for <c>full</c>; channel-wise factors broadcast against the gradient only in
    /// <c>std</c>'s orientation (the factor's dimension is chosen from the shape, not from the projection side).</summary>
    public override void Check(OptimizerSetup setup)
    {
        var pt = setup.GaLore.ProjType;
        if (pt == ProjectionType.Full)
            throw new PlannerInputException("APOLLO has no 'full' projection (apollo_torch raises NotImplementedError): use proj_type std");
        if (ChannelWise(setup) && pt != ProjectionType.Std)
            throw new PlannerInputException(
                $"APOLLO's channel-wise scaling needs proj_type std (with {pt.Name()} its factor does not broadcast against the gradient): use scale_type=tensor or proj_type std");
    }

    public override void AddStates(in StateShape shape, OptimizerSetup setup, Precision precision, List<StateTensor> states)
    {
        var t = ComputeType(precision);
        states.Add(new StateTensor("exp_avg", shape.Elements, t));
        states.Add(new StateTensor("exp_avg_sq", shape.Elements, t));
        if (shape.Projected) states.Add(new StateTensor("scaled_grad", 1, t));
    }

    /// <summary>
    /// <c>APOLLOAdamW.step</c>, per parameter. Non-target: <c>denom = exp_avg_sq.sqrt().add_(eps)</c> and
    /// <c>exp_avg / denom</c> (2n). Target: R, <c>denom</c> and N (3 low-rank tensors), the channel factor (a
    /// max(m, n) vector), <c>scaled_grad = p.grad * factor</c> and, from the second step on, <c>scaled_grad / limiter</c> made
    /// while the first is alive — two full-size tensors in the gradient's dtype.
    /// </summary>
    public override long PyTorchUpdateBytes(in UpdateShape u)
    {
        long n = u.Elements, r = u.OptimizerElements;
        int gb = u.GradBytes, sb = u.StateBytes;
        if (u.GaLore is null) return 2 * n * sb;
        long factor = ChannelWise(u.Setup) ? Math.Max(u.Rows, u.Cols) * sb : 0;
        return r * gb + 2 * r * sb + factor + 2 * n * gb;
    }

    /// <summary>
    /// This project's APOLLO (<c>src/Kernels/Optimizers/Rules/ApolloRule.cs</c>). Non-target: AdamW's <c>denom</c> (n).
    /// Target: R, <c>denom</c> turned into N in place, and the scaling computed without a full-size tensor — the factor (N's
    /// norms along the channel dimension divided by R's), then the full gradient's norms along it and their product with the
    /// factor: at most three max(m, n) vectors at once; the update is <c>W.addcmul_(G, factor)</c> (tensor-wise:
    /// <c>W.add_(G, α)</c>, scalars only).
    /// </summary>
    public override long TorchSharpUpdateBytes(in UpdateShape u)
    {
        long n = u.Elements, r = u.OptimizerElements;
        int gb = u.GradBytes, sb = u.StateBytes;
        if (u.GaLore is null) return n * sb;
        long vectors = ChannelWise(u.Setup) ? 3 * Math.Max(u.Rows, u.Cols) * sb : 0;
        return r * gb + r * sb + vectors;
    }

    public override bool HasTorchSharpKernel => true;
}
