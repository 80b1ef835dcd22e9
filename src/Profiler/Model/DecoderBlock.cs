using GaLore.Planner.Models;
using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model;

/// <summary>
/// One pre-norm Llama decoder block: h₁ = x + attn(norm₁(x)); h₂ = h₁ + mlp(norm₂(h₁)).
/// The residual additions save nothing; under mixed precision they promote to the float32 residual stream.
/// </summary>
public sealed class DecoderBlock : nn.Module
{
    [ComponentName(Name = "input_layernorm")] readonly RmsNorm inputNorm;
    [ComponentName(Name = "self_attn")] readonly Attention attention;
    [ComponentName(Name = "post_attention_layernorm")] readonly RmsNorm postNorm;
    [ComponentName(Name = "mlp")] readonly Mlp mlp;

    internal DecoderBlock(ModelConfig c, ModelOptions o, ScalarType dtype, Device device, Generator init) : base(nameof(DecoderBlock))
    {
        inputNorm = new RmsNorm(c.HiddenSize, o.RmsNormEps, dtype, device);
        attention = new Attention(c, dtype, device, init, o.InitStd);
        postNorm = new RmsNorm(c.HiddenSize, o.RmsNormEps, dtype, device);
        mlp = new Mlp(c, dtype, device, init, o.InitStd);
        RegisterComponents();
    }

    /// <summary>(B, T, h) residual → (B, T, h) residual.</summary>
    internal Tensor forward(Tensor x, ForwardContext ctx)
    {
        using var scope = torch.NewDisposeScope();
        var n1 = inputNorm.forward(x, ctx);          // (B, T, h) activation dtype
        ctx.At("block: input_layernorm");
        var attn = attention.forward(n1, ctx);       // (B, T, h); consumes n1
        var h1 = x.add(attn);                        // (B, T, h) residual dtype
        attn.Dispose();
        ctx.At("block: residual (attention)");
        var n2 = postNorm.forward(h1, ctx);
        ctx.At("block: post_attention_layernorm");
        var m = mlp.forward(n2, ctx);                // consumes n2
        var h2 = h1.add(m);                          // (B, T, h)
        m.Dispose();
        h1.Dispose();
        ctx.At("block: residual (mlp)");
        return h2.MoveToOuterDisposeScope();
    }
}
