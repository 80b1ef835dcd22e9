using GaLore.Planner.Memory;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Optimizers.Families;

/// <summary>
/// <c>adamw_anyprecision</c>: torchdistx <c>AnyPrecisionAdamW</c> (<c>torchdistx/optimizers/anyprecision_optimizer.py</c>,
/// archived 2023): AdamW whose moments have chosen dtypes, with optional Kahan-compensated weight updates. Hugging Face
/// reads <c>use_kahan_summation</c> (default False), <c>momentum_dtype</c> (float32), <c>variance_dtype</c> (float32 — not the
/// library's bfloat16) and <c>compensation_buffer_dtype</c> (bfloat16) from <c>optim_args</c> via <c>getattr(torch, …)</c>.
/// States: <c>exp_avg</c> (momentum dtype), <c>exp_avg_sq</c> (variance dtype), and with Kahan summation
/// <c>compensation</c> (its own dtype), each of the parameter's shape.
/// </summary>
public sealed class AnyPrecisionAdamWModel : OptimizerModel
{
    static readonly string[] DTypeNames = ["float32", "float", "bfloat16", "float16", "half"];

    /// <summary>Kahan-compensated updates (adds a full-size compensation buffer).</summary>
    public static readonly OptimizerKnob Kahan = new("use_kahan_summation", "false", "Kahan-compensated weight updates: a full-size compensation buffer", true, KnobKind.Flag);

    /// <summary>dtype of <c>exp_avg</c>.</summary>
    public static readonly OptimizerKnob MomentumDtype = new("momentum_dtype", "float32", "dtype of exp_avg", true, KnobKind.Choice) { Choices = DTypeNames };

    /// <summary>dtype of <c>exp_avg_sq</c>.</summary>
    public static readonly OptimizerKnob VarianceDtype = new("variance_dtype", "float32", "dtype of exp_avg_sq", true, KnobKind.Choice) { Choices = DTypeNames };

    /// <summary>dtype of the Kahan compensation buffer.</summary>
    public static readonly OptimizerKnob CompensationDtype = new("compensation_buffer_dtype", "bfloat16", "dtype of the Kahan compensation buffer", true, KnobKind.Choice) { Choices = DTypeNames };

    public override string Id => "adamw_anyprecision";
    public override string Library => "torchdistx.optimizers.AnyPrecisionAdamW";
    public override IReadOnlyList<OptimizerKnob> Knobs { get; } = [Kahan, MomentumDtype, VarianceDtype, CompensationDtype];
    public override DType ComputeType(Precision precision) => DTypes.FloatOfBytes(precision.GradientBytes);

    /// <summary>The dtype a knob names, as <c>getattr(torch, name)</c> resolves it.</summary>
    static DType DtypeOf(OptimizerSetup setup, OptimizerKnob knob) => setup.Knobs.Text(knob) switch
    {
        "float32" or "float" => DType.Float32,
        "bfloat16" => DType.BFloat16,
        "float16" or "half" => DType.Float16,
        var other => throw new PlannerInputException($"optim_args {knob.Key}='{other}' is not a dtype AnyPrecisionAdamW keeps"),
    };

    public override void AddStates(in StateShape shape, OptimizerSetup setup, Precision precision, List<StateTensor> states)
    {
        states.Add(new StateTensor("exp_avg", shape.Elements, DtypeOf(setup, MomentumDtype)));
        states.Add(new StateTensor("exp_avg_sq", shape.Elements, DtypeOf(setup, VarianceDtype)));
        if (setup.Knobs.Text(Kahan) == "true") states.Add(new StateTensor("compensation", shape.Elements, DtypeOf(setup, CompensationDtype)));
    }

    /// <summary>
    /// <c>AnyPrecisionAdamW.step</c> loops over parameters: <c>centered_variance = (exp_avg_sq.sqrt() / denom_correction)</c>
    /// holds the square root and the quotient at once (2 × n in the variance dtype); with Kahan summation the quotient then
    /// coexists with <c>temp_buffer = p.detach().clone()</c> (n in the weight's dtype).
    /// </summary>
    public override long PyTorchUpdateBytes(in UpdateShape u)
    {
        long n = u.Elements;
        long vb = DtypeOf(u.Setup, VarianceDtype).Bits() / 8;
        long kahan = u.Setup.Knobs.Text(Kahan) == "true" ? n * vb + n * u.WeightBytes : 0;
        return Math.Max(2 * n * vb, kahan);
    }
}
