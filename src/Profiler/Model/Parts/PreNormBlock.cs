using GaLore.Planner.Models.Layout;
using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model.Parts;

/// <summary>
/// A pre-norm decoder block (Llama; the MoE families with a sparse MLP): h₁ = x + attn(norm₁(x)); h₂ = h₁ + mlp(norm₂(h₁)).
/// The residual additions save nothing; under mixed precision they promote to the float32 residual stream.
/// </summary>
internal sealed class PreNormBlock(LayoutPart layout, RmsNorm inputNorm, Attention attention, RmsNorm postNorm, IFeedForward mlp) : BlockPart
{
    public override LayoutPart Layout => layout;

    internal override Tensor Forward(Tensor x, ForwardContext ctx)
    {
        using var scope = torch.NewDisposeScope();
        var n1 = inputNorm.Forward(x, ctx);          // (B, T, h) activation dtype
        ctx.At("block: input_layernorm");
        var attn = attention.Forward(n1, ctx);       // (B, T, h); consumes n1
        var h1 = x.add(attn);                        // (B, T, h) residual dtype
        attn.Dispose();
        ctx.At("block: residual (attention)");
        var n2 = postNorm.Forward(h1, ctx);
        ctx.At("block: post_attention_layernorm");
        var m = mlp.Forward(n2, ctx);                // consumes n2
        var h2 = h1.add(m);                          // (B, T, h)
        m.Dispose();
        h1.Dispose();
        ctx.At("block: residual (mlp)");
        return h2.MoveToOuterDisposeScope();
    }
}
