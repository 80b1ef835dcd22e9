using GaLore.Planner.Memory;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Optimizers.Families;

/// <summary>
/// <c>stable_adamw</c> → <c>optimi.StableAdamW</c> (Wortsman et al. 2023, arXiv 2304.13013; warner-benjamin/optimi 0.3.3,
/// <c>StableAdamW._init_state</c>): <c>exp_avg</c>, <c>exp_avg_sq</c> of the parameter's shape and dtype, a 0-d
/// <c>eps_sq</c>; <c>kahan_comp</c> of the parameter's shape for 16-bit parameters when <c>kahan_sum</c> is True or None
/// (a 1-element uint8 placeholder otherwise, under Triton), and a 1-element float32 <c>mean_square</c> under Triton — the
/// default on CUDA devices with bf16 support (<c>_default_to_triton</c>). Hugging Face passes
/// <c>kahan_sum=bool(optim_args["kahan_sum"])</c> only when given, so any non-empty value — even <c>false</c> — turns it on.
/// </summary>
public sealed class StableAdamWModel : OptimizerModel
{
    /// <summary>HF's <c>bool(text)</c>: on unless empty.</summary>
    public static readonly OptimizerKnob KahanSum = new("kahan_sum", "none",
        "Kahan summation; HF applies bool() to the text, so any non-empty value (even false) turns it on", true, KnobKind.Text);

    public override string Id => "stable_adamw";
    public override string Library => "optimi.StableAdamW (Triton kernels)";

    public override IReadOnlyList<OptimizerKnob> Knobs { get; } =
    [
        new("decouple_lr", "false", "fully decoupled weight decay (HF: bool() of the text)", false, KnobKind.Text),
        new("max_lr", "none", "maximum lr for decoupled weight decay", false) { Min = 0 },
        KahanSum,
    ];

    public override DType ComputeType(Precision precision) => DTypes.FloatOfBytes(precision.WeightBytes);

    /// <summary>Whether Kahan compensation is on for a parameter of <paramref name="weightBytes"/> bytes per element.</summary>
    static bool Kahan(OptimizerSetup setup, int weightBytes)
    {
        bool on = !setup.Knobs.Values.TryGetValue(KahanSum.Key, out var v) || v.Length > 0;
        return on && weightBytes == 2;
    }

    public override void AddStates(in StateShape shape, OptimizerSetup setup, Precision precision, List<StateTensor> states)
    {
        var t = ComputeType(precision);
        long n = shape.Elements;
        states.Add(new StateTensor("exp_avg", n, t));
        states.Add(new StateTensor("exp_avg_sq", n, t));
        states.Add(new StateTensor("eps_sq", 1, t));
        states.Add(Kahan(setup, precision.WeightBytes) ? new StateTensor("kahan_comp", n, t) : new StateTensor("kahan_comp", 1, DType.UInt8));
        states.Add(new StateTensor("mean_square", 1, DType.Float32));
    }

    /// <summary>The Triton kernels (a mean-square pass, then the update) keep everything in registers: no temporaries.</summary>
    public override long PyTorchUpdateBytes(in UpdateShape u) => 0;
}
