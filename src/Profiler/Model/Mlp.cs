using GaLore.Planner.Models;
using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model;

/// <summary>SwiGLU MLP (Shazeer 2020, arXiv 2002.05202): down(silu(gate(x)) · up(x)).
/// silu saves gate's output; the product saves silu(gate) and up.</summary>
public sealed class Mlp : nn.Module
{
    [ComponentName(Name = "gate_proj")] readonly Projection gateProj;
    [ComponentName(Name = "up_proj")] readonly Projection upProj;
    [ComponentName(Name = "down_proj")] readonly Projection downProj;

    internal Mlp(ModelConfig c, ScalarType dtype, Device device, Generator init, double std) : base(nameof(Mlp))
    {
        gateProj = new Projection(c.HiddenSize, c.IntermediateSize, c.MlpBias, dtype, device, init, std);
        upProj = new Projection(c.HiddenSize, c.IntermediateSize, c.MlpBias, dtype, device, init, std);
        downProj = new Projection(c.IntermediateSize, c.HiddenSize, c.MlpBias, dtype, device, init, std);
        RegisterComponents();
    }

    /// <summary>(B, T, h) → (B, T, h), activation dtype. Takes ownership of <paramref name="x"/>: its handle is
    /// disposed after up_proj, its last use.</summary>
    internal Tensor forward(Tensor x, ForwardContext ctx)
    {
        using var scope = torch.NewDisposeScope();
        var gate = gateProj.forward(x, ctx);                // (B, T, i)
        var up = upProj.forward(x, ctx);                    // (B, T, i)
        x.Dispose();
        ctx.At("mlp: gate, up projections");
        var act = nn.functional.silu(gate);                 // (B, T, i)
        gate.Dispose();
        var product = act.mul(up);                          // (B, T, i)
        act.Dispose();
        up.Dispose();
        ctx.At("mlp: silu(gate)·up");
        var down = downProj.forward(product, ctx);          // (B, T, h)
        ctx.At("mlp: down_proj");
        return down.MoveToOuterDisposeScope();
    }
}
