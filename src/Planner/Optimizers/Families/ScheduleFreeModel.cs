using GaLore.Planner.Memory;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Optimizers.Families;

/// <summary>The three schedule-free classes Hugging Face's <c>_get_schedule_free_optimizer</c> builds.</summary>
public enum ScheduleFreeKind
{
    /// <summary><c>schedulefree.AdamWScheduleFree</c>.</summary>
    AdamW,
    /// <summary><c>schedulefree.RAdamScheduleFree</c> (no warm-up; an SGD phase while RAdam's variance is untrusted).</summary>
    RAdam,
    /// <summary><c>schedulefree.SGDScheduleFree</c> (momentum 0.9, the class default).</summary>
    Sgd,
}

/// <summary>
/// Schedule-free optimizers (Defazio et al. 2024, arXiv 2405.15682; <c>facebookresearch/schedule_free</c> 1.4.1). The
/// parameter tensor holds y (train mode; x after <c>eval()</c>), so the states are <c>z = torch.clone(p)</c> and, for the
/// Adam forms, <c>exp_avg_sq = zeros_like(p)</c> — both in the parameter's dtype; <c>exp_avg</c> would exist only with
/// <c>inner_momentum</c>, which HF never sets. HF reads <c>weight_lr_power</c> (2.0) and <c>r</c> (0.0) from
/// <c>optim_args</c>; neither changes memory.
/// </summary>
/// <param name="kind">The class.</param>
public sealed class ScheduleFreeModel(ScheduleFreeKind kind) : OptimizerModel
{
    /// <summary>Exponent of the learning rate in the averaging weights.</summary>
    public static readonly OptimizerKnob WeightLrPower = new("weight_lr_power", "2.0", "exponent of the lr in the averaging weights", false);

    /// <summary>Polynomial weighting power of the average.</summary>
    public static readonly OptimizerKnob R = new("r", "0.0", "polynomial weighting power of the average", false);

    /// <summary>The class.</summary>
    public ScheduleFreeKind Kind => kind;

    public override string Id => kind switch
    {
        ScheduleFreeKind.AdamW => "schedule_free_adamw",
        ScheduleFreeKind.RAdam => "schedule_free_radam",
        ScheduleFreeKind.Sgd => "schedule_free_sgd",
        _ => throw new InvalidOperationException($"unknown schedule-free kind {kind}"),
    };

    public override string Library => kind switch
    {
        ScheduleFreeKind.AdamW => "schedulefree.AdamWScheduleFree (foreach)",
        ScheduleFreeKind.RAdam => "schedulefree.RAdamScheduleFree (foreach)",
        ScheduleFreeKind.Sgd => "schedulefree.SGDScheduleFree (foreach)",
        _ => throw new InvalidOperationException($"unknown schedule-free kind {kind}"),
    };

    public override IReadOnlyList<OptimizerKnob> Knobs { get; } = [WeightLrPower, R];
    public override DType ComputeType(Precision precision) => DTypes.FloatOfBytes(precision.WeightBytes);

    public override void AddStates(in StateShape shape, OptimizerSetup setup, Precision precision, List<StateTensor> states)
    {
        var t = ComputeType(precision);
        states.Add(new StateTensor("z", shape.Elements, t));
        if (kind != ScheduleFreeKind.Sgd) states.Add(new StateTensor("exp_avg_sq", shape.Elements, t));
    }

    /// <summary>The foreach path (the class default): <c>denom = torch._foreach_div(exp_avg_sq, bias_correction2)</c> is a
    /// second-moment-sized list for the whole parameter group; the gradient is normalised in place. SGD: all in place.</summary>
    public override long PyTorchUpdateBytes(in UpdateShape u) => kind == ScheduleFreeKind.Sgd ? 0 : u.Elements * u.StateBytes;

    /// <summary>This project's schedule-free AdamW (<c>src/Kernels/Optimizers/Rules/ScheduleFreeAdamWRule.cs</c>) runs the
    /// reference's single-tensor path: <c>denom = exp_avg_sq.div(bias_correction2).sqrt_().add_(eps)</c> only.</summary>
    public override long TorchSharpUpdateBytes(in UpdateShape u) =>
        kind == ScheduleFreeKind.AdamW ? u.Elements * u.StateBytes : base.TorchSharpUpdateBytes(u);

    public override bool HasTorchSharpKernel => kind == ScheduleFreeKind.AdamW;

    public override bool PyTorchStepsAllAtOnce(OptimizerSetup setup) => true;
}
