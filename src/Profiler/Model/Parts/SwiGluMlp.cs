using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model.Parts;

/// <summary>SwiGLU MLP (Shazeer 2020, arXiv 2002.05202): down(silu(gate(x)) · up(x)).
/// silu saves gate's output; the product saves silu(gate) and up.</summary>
internal sealed class SwiGluMlp(Projection gateProj, Projection upProj, Projection downProj) : IFeedForward
{
    /// <summary>(B, T, h) → (B, T, h), activation dtype. Takes ownership of <paramref name="x"/>: its handle is
    /// disposed after up_proj, its last use.</summary>
    public Tensor Forward(Tensor x, ForwardContext ctx)
    {
        using var scope = torch.NewDisposeScope();
        var gate = gateProj.Forward(x, ctx);                // (B, T, i)
        var up = upProj.Forward(x, ctx);                    // (B, T, i)
        x.Dispose();
        ctx.At("mlp: gate, up projections");
        var act = nn.functional.silu(gate);                 // (B, T, i)
        gate.Dispose();
        var product = act.mul(up);                          // (B, T, i)
        act.Dispose();
        up.Dispose();
        ctx.At("mlp: silu(gate)·up");
        var down = downProj.Forward(product, ctx);          // (B, T, h)
        ctx.At("mlp: down_proj");
        return down.MoveToOuterDisposeScope();
    }
}
