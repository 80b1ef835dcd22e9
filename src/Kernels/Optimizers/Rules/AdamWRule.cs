using static TorchSharp.torch;

namespace GaLore.Kernels.Optimizers.Rules;

/// <summary>
/// Adam's moments and bias-corrected step (Kingma &amp; Ba 2015, arXiv 1412.6980, Alg. 1), states in the gradient's
/// dtype. Two ε conventions exist and are both kept:
/// <list type="bullet">
/// <item><see cref="Torch"/> (<c>torch.optim.AdamW</c>, bitsandbytes): W −= lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε).</item>
/// <item><see cref="Transformers"/> (<c>transformers.AdamW</c>, which <c>galore_torch.AdamW</c> copies):
/// W −= lr·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε), i.e. ε/√(1−β2ᵗ) in the torch form.</item>
/// </list>
/// Transient: <c>denom</c> only (one state-sized tensor), consumed by <c>addcdiv_</c> or turned into N in place.
/// </summary>
internal sealed class AdamWRule(bool transformersEpsilon) : IUpdateRule<AdamWOptions>
{
    /// <summary>torch.optim.AdamW's ε placement.</summary>
    public static readonly AdamWRule Torch = new(false);

    /// <summary>transformers.AdamW's ε placement (GaLore's reference AdamW).</summary>
    public static readonly AdamWRule Transformers = new(true);

    public ScalarType ComputeType(ScalarType gradType) => gradType;

    public void Apply(ParameterState state, Tensor grad, UpdateSink sink, AdamWOptions o, double lr)
    {
        double b1 = o.beta1!.Value, b2 = o.beta2!.Value;
        var m = state.GetOrCreate("exp_avg", () => zeros_like(grad));
        var v = state.GetOrCreate("exp_avg_sq", () => zeros_like(grad));
        m.mul_(b1).add_(grad, 1 - b1);
        v.mul_(b2).addcmul_(grad, grad, 1 - b2);
        double bc1 = 1 - Math.Pow(b1, state.Step), sqrtBc2 = Math.Sqrt(1 - Math.Pow(b2, state.Step));
        double eps = transformersEpsilon ? o.eps!.Value / sqrtBc2 : o.eps!.Value;
        using var denom = v.sqrt().div_(sqrtBc2).add_(eps);
        sink.AddRatio(m, denom, -lr / bc1);
    }
}
