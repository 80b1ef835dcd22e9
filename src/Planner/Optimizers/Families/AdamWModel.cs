using GaLore.Planner.Memory;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Optimizers.Families;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter 2019, arXiv 1711.05101): two moments, <c>exp_avg</c> and <c>exp_avg_sq</c>, zeros-like
/// the (projected) gradient, so in its dtype (<c>torch.optim.AdamW</c>; <c>galore_torch.AdamW</c> for GaLore names).
/// </summary>
public sealed class AdamWModel : OptimizerModel
{
    public override string Id => "adamw";
    public override string Library => "torch.optim.AdamW (foreach); galore_torch.GaLoreAdamW for GaLore";
    public override DType ComputeType(Precision precision) => DTypes.FloatOfBytes(precision.GradientBytes);

    public override void AddStates(in StateShape shape, OptimizerSetup setup, Precision precision, List<StateTensor> states)
    {
        var t = ComputeType(precision);
        states.Add(new StateTensor("exp_avg", shape.Elements, t));
        states.Add(new StateTensor("exp_avg_sq", shape.Elements, t));
    }

    /// <summary>
    /// torch AdamW (foreach): <c>torch._foreach_sqrt(exp_avg_sqs)</c> makes one second-moment-sized temporary per parameter,
    /// all alive at once (<see cref="PyTorchStepsAllAtOnce"/>); this is one parameter's share. galore_torch's AdamW loops per
    /// parameter: R = project(G), <c>denom</c>, the normalised R/denom, then <c>project_back</c>'s full-size result and its
    /// <c>·scale</c> copy.
    /// </summary>
    public override long PyTorchUpdateBytes(in UpdateShape u)
    {
        long n = u.Elements, r = u.OptimizerElements;
        int gb = u.GradBytes, sb = u.StateBytes;
        return u.GaLore is null ? n * sb : r * gb + 2 * r * sb + 2 * n * gb;
    }

    /// <summary>This project's AdamW (<c>src/Kernels/Optimizers/Rules/AdamWRule.cs</c>): <c>denom</c> only, turned into the
    /// normalised update in place; under GaLore R = project(G) first, and for <c>full</c> the m × r product P·N before ·Q.</summary>
    public override long TorchSharpUpdateBytes(in UpdateShape u)
    {
        long r = u.OptimizerElements;
        int gb = u.GradBytes, sb = u.StateBytes;
        if (u.GaLore is not { } g) return r * sb;
        long fullCore = g.Side == ProjectionSide.Both ? g.LeftProjectorRows * g.Rank * sb : 0;
        return r * gb + r * sb + fullCore;
    }

    /// <summary>The plain (foreach) AdamW steps every parameter of a group at once; galore_torch loops per parameter.</summary>
    public override bool PyTorchStepsAllAtOnce(OptimizerSpec spec) => !spec.GaLore;
}
