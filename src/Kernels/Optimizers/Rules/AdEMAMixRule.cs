using GaLore.Planner.Runtime;
using static TorchSharp.torch;

namespace GaLore.Kernels.Optimizers.Rules;

/// <summary>
/// AdEMAMix with float32 states (bitsandbytes' 32-bit <c>AdEMAMix</c>: <c>state1</c> of 2·n elements, m1 then m2; <c>state2</c>
/// = ν), worked through in chunks of <see cref="ChunkBudget.Elements"/>: per chunk the float32 gradient (a view when float32),
/// <c>denom</c> = √ν/√(1 − β2ᵗ) + ε and the numerator m1/(1 − β1ᵗ) + α·m2, divided in place and added to W.
/// Schedulers (bitsandbytes' <c>update_step</c>): αₜ = min(t·α/t_α, α); β3ₜ = min(exp(ln β1·ln β3 / ((1 − t/t_β3)·ln β3 +
/// (t/t_β3)·ln β1)), β3).
/// </summary>
internal sealed class AdEMAMixRule : IUpdateRule<AdEMAMixOptions>
{
    public static readonly AdEMAMixRule Instance = new();

    public ScalarType ComputeType(ScalarType gradType) => ScalarType.Float32;

    public void Apply(ParameterState state, Tensor grad, UpdateSink sink, AdEMAMixOptions o, double lr)
    {
        long n = grad.numel(), t = state.Step;
        double b1 = o.beta1!.Value, b2 = o.beta2!.Value, b3 = o.beta3!.Value, alpha = o.alpha!.Value;
        if (!double.IsNaN(o.t_alpha!.Value)) alpha = Math.Min(t * alpha / o.t_alpha.Value, alpha);
        if (!double.IsNaN(o.t_beta3!.Value))
        {
            double scale = t / o.t_beta3.Value, l1 = Math.Log(b1), l3 = Math.Log(b3);
            b3 = Math.Min(Math.Exp(l1 * l3 / ((1 - scale) * l3 + scale * l1)), b3);
        }
        double bc1 = 1 - Math.Pow(b1, t), sqrtBc2 = Math.Sqrt(1 - Math.Pow(b2, t));
        var s1 = state.GetOrCreate("state1", () => zeros([2 * n], ScalarType.Float32, grad.device));
        var s2 = state.GetOrCreate("state2", () => zeros([n], ScalarType.Float32, grad.device));
        using var flat = grad.reshape(-1);
        long chunk = ChunkBudget.Of(n);
        for (long offset = 0; offset < n; offset += chunk)
        {
            using var scope = NewDisposeScope();
            long length = Math.Min(chunk, n - offset);
            var g = flat.narrow(0, offset, length).to(ScalarType.Float32);
            var m1 = s1.narrow(0, offset, length);
            var m2 = s1.narrow(0, n + offset, length);
            var nu = s2.narrow(0, offset, length);
            m1.mul_(b1).add_(g, 1 - b1);
            m2.mul_(b3).add_(g, 1 - b3);
            nu.mul_(b2).addcmul_(g, g, 1 - b2);
            using var denom = nu.sqrt().div_(sqrtBc2).add_(o.eps!.Value);
            using var update = m1.div(bc1).add_(m2, alpha).div_(denom);
            using (NewDisposeScope()) sink.Add(update, -lr, offset);
        }
    }
}
