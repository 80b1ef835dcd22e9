using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model;

/// <summary>Llama's RMSNorm module (<c>weight</c> of size h, initialised to 1), run as <see cref="FusedRmsNormFunction"/>.</summary>
public sealed class RmsNorm : nn.Module
{
    [ComponentName(Name = "weight")] readonly Parameter weight;
    readonly double eps;

    internal RmsNorm(long hidden, double eps, ScalarType dtype, Device device) : base(nameof(RmsNorm))
    {
        weight = new Parameter(torch.ones(hidden, dtype, device));
        this.eps = eps;
        RegisterComponents();
    }

    /// <summary>The scale vector (h).</summary>
    public Parameter Weight => weight;

    /// <summary>(B, T, h) residual dtype → (B, T, h) activation dtype.</summary>
    internal Tensor forward(Tensor x, ForwardContext ctx)
    {
        using var scope = torch.NewDisposeScope();
        var w = ctx.Use(weight);
        return FusedRmsNormFunction.Apply(x, w, eps, ctx.Types.Activation).MoveToOuterDisposeScope();
    }
}
