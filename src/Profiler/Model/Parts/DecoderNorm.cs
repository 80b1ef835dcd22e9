using GaLore.Planner.Memory.Graph;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model.Parts;

/// <summary>
/// A dense decoder's norm as this project runs it (the planner's <c>GraphParts.Norm</c> under the torchsharp runtime): RMS
/// norms — Llama's, and the float32-scaled ones of Gemma (scale 1 + w, <paramref name="offset"/> 1) and OLMo-2 — run as
/// <see cref="FusedRmsNormFunction"/> over the last dimension; a LayerNorm is <c>nn.functional.layer_norm</c>, in float32
/// under mixed precision as autocast runs it.
/// </summary>
internal sealed class DecoderNorm(NormKind kind, Parameter weight, Parameter? bias, double eps, double offset = 0)
{
    /// <summary>(…, w) → (…, w): the activation dtype for RMS norms, the input's dtype (float32 under mixed precision) for a
    /// LayerNorm.</summary>
    public Tensor Forward(Tensor x, ForwardContext ctx)
    {
        using var scope = torch.NewDisposeScope();
        var w = ctx.Use(weight);
        if (kind != NormKind.LayerNorm)
            return FusedRmsNormFunction.Apply(x, w, eps, ctx.Types.Activation, offset).MoveToOuterDisposeScope();
        var b = ctx.Use(bias ?? throw new InvalidOperationException("a LayerNorm needs its bias"));
        var input = ctx.Types.CastsWeights && x.dtype != ScalarType.Float32 ? x.to(ScalarType.Float32) : x;
        return nn.functional.layer_norm(input, [x.shape[^1]], w, b, eps).MoveToOuterDisposeScope();
    }
}
