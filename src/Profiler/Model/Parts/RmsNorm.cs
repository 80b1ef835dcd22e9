using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model.Parts;

/// <summary>An RMSNorm over the last dimension with its scale vector, run as <see cref="FusedRmsNormFunction"/>
/// (y = w · x / rms(x), the planner's <c>NormStyle.SavesInputAndRstd</c>).</summary>
internal sealed class RmsNorm(Parameter weight, double eps)
{
    /// <summary>The scale vector.</summary>
    public Parameter Weight => weight;

    /// <summary>(…, h) residual dtype → (…, h) activation dtype.</summary>
    public Tensor Forward(Tensor x, ForwardContext ctx)
    {
        using var scope = torch.NewDisposeScope();
        var w = ctx.Use(weight);
        return FusedRmsNormFunction.Apply(x, w, eps, ctx.Types.Activation).MoveToOuterDisposeScope();
    }
}
