using GaLore.Planner.Memory;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Optimizers.Families;

/// <summary>
/// <c>grokadamw</c> → <c>grokadamw.GrokAdamW</c> (cognitivecomputations/grokadamw 0.1.2): AdamW on
/// <c>grok_grad = grad + λ·grok_ema</c>, with three states of the parameter's shape and dtype — <c>exp_avg</c>,
/// <c>exp_avg_sq</c> and <c>grok_ema</c> (an EMA of the gradient). Since 0.1.2 (commit 440df61) they are created with
/// <c>device='cpu'</c> in <c>group['state']</c> and copied to the device for each parameter's update and back
/// (0.1.1 kept them on the device: 3 × the parameters' bytes more). HF passes lr only (library betas and eps) and reads
/// <c>alpha_init</c>, <c>lamb</c>, <c>gamma</c>, <c>grokking_signal_decay_rate</c>, <c>gradient_clipping</c>; none changes
/// memory.
/// </summary>
public sealed class GrokAdamWModel : OptimizerModel
{
    public override string Id => "grokadamw";
    public override string Library => "grokadamw.GrokAdamW 0.1.2 (states in host RAM)";

    public override IReadOnlyList<OptimizerKnob> Knobs { get; } =
    [
        new("alpha_init", "0.98", "initial EMA coefficient of grok_ema", false) { Min = 0, Max = 1 },
        new("lamb", "2.0", "weight of grok_ema added to the gradient", false),
        new("gamma", "0.1", "per-layer decay of beta1", false),
        new("grokking_signal_decay_rate", "0.1", "decay of alpha with the grokking signal", false),
        new("gradient_clipping", "1.0", "per-parameter gradient-norm clipping", false) { Min = 0 },
    ];

    public override DType ComputeType(Precision precision) => DTypes.FloatOfBytes(precision.WeightBytes);

    public override void AddStates(in StateShape shape, OptimizerSetup setup, Precision precision, List<StateTensor> states)
    {
        var t = ComputeType(precision);
        foreach (var name in new[] { "exp_avg", "exp_avg_sq", "grok_ema" })
            states.Add(new StateTensor(name, shape.Elements, t, StatePlacement.Host));
    }

    /// <summary>
    /// <c>_update_group</c>, per parameter on the device: the three states copied in (3n), <c>lamb * grok_ema</c> and the
    /// sum <c>grok_grad</c> (2n at once, then n), and <c>exp_avg_sq.sqrt()</c> (n): at most 5n in the parameter's dtype. The
    /// previous parameter's device copies stay referenced by the loop's locals until rebound; that overlap is left out
    /// (it matters only when a large tensor follows another large one).
    /// </summary>
    public override long PyTorchUpdateBytes(in UpdateShape u) => 5 * u.Elements * u.WeightBytes;

    public override string? Note(OptimizerSetup setup) =>
        "grokadamw 0.1.2 keeps exp_avg, exp_avg_sq and grok_ema in host RAM (3 × the parameters' bytes, not counted on the GPU) " +
        "and copies them to the GPU for each parameter's update; version 0.1.1 kept them on the GPU";
}
