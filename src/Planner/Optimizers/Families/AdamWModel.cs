using GaLore.Planner.Memory;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Optimizers.Families;

/// <summary>How a full-size AdamW steps a parameter group on the PyTorch stack.</summary>
public enum AdamWStep
{
    /// <summary><c>torch.optim.AdamW</c> with <c>foreach</c> left None on CUDA (<c>_multi_tensor_adamw</c>):
    /// <c>torch._foreach_sqrt(exp_avg_sqs)</c> makes a second-moment-sized list for the whole group at once.</summary>
    Foreach,
    /// <summary>One fused kernel per (device, dtype) bucket (<c>torch._fused_adamw_</c>, apex's <c>multi_tensor_adam</c>):
    /// no parameter-sized temporaries.</summary>
    Fused,
}

/// <summary>
/// AdamW (Loshchilov &amp; Hutter 2019, arXiv 1711.05101): two moments, <c>exp_avg</c> and <c>exp_avg_sq</c>, zeros-like
/// the (projected) gradient, so in its dtype (<c>torch.optim.AdamW</c>; <c>galore_torch.AdamW</c> for GaLore names) —
/// except apex's <c>FusedAdam</c>, which keeps them in float32 whatever the parameter's dtype
/// (<c>apex/optimizers/fused_adam.py</c>: <c>torch.zeros_like(p.data).float()</c>).
/// One instance per Hugging Face name that maps here; only the default one (<c>adamw</c>) has GaLore forms.
/// </summary>
/// <param name="id">The family id (the name it serves).</param>
/// <param name="library">Library and class HF hands the name to.</param>
/// <param name="step">How the PyTorch stack steps a group.</param>
/// <param name="float32States">Moments always float32 (apex).</param>
/// <param name="kernel">Whether this project's AdamW kernel trains the name.</param>
/// <param name="note">What was not verified (shown by <c>fit</c>).</param>
public sealed class AdamWModel(string id = "adamw", string library = "torch.optim.AdamW (foreach); galore_torch.GaLoreAdamW for GaLore",
    AdamWStep step = AdamWStep.Foreach, bool float32States = false, bool kernel = true, string? note = null) : OptimizerModel
{
    public override string Id => id;
    public override string Library => library;

    /// <summary>How the PyTorch stack steps a group.</summary>
    public AdamWStep Step => step;

    public override DType ComputeType(Precision precision) => float32States ? DType.Float32 : DTypes.FloatOfBytes(precision.GradientBytes);

    public override void AddStates(in StateShape shape, OptimizerSetup setup, Precision precision, List<StateTensor> states)
    {
        var t = ComputeType(precision);
        states.Add(new StateTensor("exp_avg", shape.Elements, t));
        states.Add(new StateTensor("exp_avg_sq", shape.Elements, t));
    }

    /// <summary>
    /// torch AdamW (foreach): <c>torch._foreach_sqrt(exp_avg_sqs)</c> makes one second-moment-sized temporary per parameter,
    /// all alive at once (<see cref="PyTorchStepsAllAtOnce"/>); this is one parameter's share. Fused kernels: none.
    /// galore_torch's AdamW loops per parameter: R = project(G), <c>denom</c>, the normalised R/denom, then
    /// <c>project_back</c>'s full-size result and its <c>·scale</c> copy.
    /// </summary>
    public override long PyTorchUpdateBytes(in UpdateShape u)
    {
        long n = u.Elements, r = u.OptimizerElements;
        int gb = u.GradBytes, sb = u.StateBytes;
        if (u.GaLore is not null) return r * gb + 2 * r * sb + 2 * n * gb;
        return step == AdamWStep.Foreach ? n * sb : 0;
    }

    /// <summary>This project's AdamW (<c>src/Kernels/Optimizers/Rules/AdamWRule.cs</c>, for every name with a kernel here):
    /// <c>denom</c> only, turned into the normalised update in place; under GaLore R = project(G) first, and for <c>full</c>
    /// the m × r product P·N before ·Q.</summary>
    public override long TorchSharpUpdateBytes(in UpdateShape u)
    {
        if (!kernel) return base.TorchSharpUpdateBytes(u);
        long r = u.OptimizerElements;
        int gb = u.GradBytes, sb = u.StateBytes;
        if (u.GaLore is not { } g) return r * sb;
        long fullCore = g.Side == ProjectionSide.Both ? g.LeftProjectorRows * g.Rank * sb : 0;
        return r * gb + r * sb + fullCore;
    }

    public override bool HasTorchSharpKernel => kernel;

    /// <summary>The plain foreach AdamW steps every parameter of a group at once; galore_torch loops per parameter.</summary>
    public override bool PyTorchStepsAllAtOnce(OptimizerSetup setup) => !setup.Spec.GaLore && step == AdamWStep.Foreach;

    public override string? Note(OptimizerSetup setup) => note;
}
