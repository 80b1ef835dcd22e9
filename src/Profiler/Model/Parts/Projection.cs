using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model.Parts;

/// <summary>
/// <c>nn.Linear</c>: y = x·Wᵀ (+ b), W of shape [out_features, in_features]. Autograd saves x (for dW) and W
/// (for dx). Under mixed precision the weight (and bias, and a float32 input) is cast to bfloat16 first, as
/// <c>torch.autocast</c> does, and the bfloat16 copy is what autograd saves.
/// </summary>
internal sealed class Projection(Parameter weight, Parameter? bias) : IProjection
{
    /// <summary>The weight [out, in].</summary>
    public Parameter Weight => weight;

    /// <summary>The bias [out], or null.</summary>
    public Parameter? Bias => bias;

    /// <summary>(B, T, in) → (B, T, out) in the activation dtype.</summary>
    public Tensor Forward(Tensor x, ForwardContext ctx)
    {
        if (ctx.PeftOf(weight) is { } peft) return peft.Forward(x, ctx);     // a peft model's adapted or quantized Linear
        using var scope = torch.NewDisposeScope();
        var w = ctx.Use(weight);
        var b = bias is null ? null : ctx.Use(bias);
        return Apply(x, w, b, ctx.Types).MoveToOuterDisposeScope();
    }

    /// <summary>The linear map itself, for callers that hold the weight (the tied lm_head). New tensor in the current scope.</summary>
    public static Tensor Apply(Tensor x, Tensor w, Tensor? b, ModelDTypes types)
    {
        if (!types.CastsWeights) return nn.functional.linear(x, w, b);
        using var scope = torch.NewDisposeScope();
        var xin = x.dtype == ScalarType.BFloat16 ? x : x.to(ScalarType.BFloat16);  // autocast input
        var wb = w.to(ScalarType.BFloat16);                                        // autocast weight, saved by the matmul
        var bb = b?.to(ScalarType.BFloat16);
        return nn.functional.linear(xin, wb, bb).MoveToOuterDisposeScope();
    }
}
