using GaLore.Planner.Models.Families;
using GaLore.Planner.Models.Layout;
using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model.Parts;

/// <summary>
/// One block of a dense decoder: pre-norm (x + f(norm(x))), Gemma's sandwich (x + norm(f(norm(x)))), OLMo-2's post-norm
/// (x + norm(f(x))), or GPT-NeoX's parallel residual x + attn(ln₁(x)) + mlp(ln₂(x)); the attention's residual dropout
/// here, the MLP's in <see cref="DecoderMlp"/>. Holds GPT-2's per-layer causal buffer, when it has one.
/// </summary>
internal sealed class DecoderBlock(LayoutPart layout, DecoderBlockDesign d, DecoderNorm? attnNorm, DecoderAttention attention,
    DecoderNorm? attnPostNorm, DecoderNorm? mlpNorm, DecoderMlp mlp, Tensor? buffer) : BlockPart, IDisposable
{
    public override LayoutPart Layout => layout;

    internal override Tensor Forward(Tensor x, ForwardContext ctx)
    {
        using var scope = torch.NewDisposeScope();
        if (d.ParallelResidual)
        {
            var a = Dropout(attention.Forward(attnNorm!.Forward(x, ctx), ctx));
            var m = mlp.Forward(mlpNorm!.Forward(x, ctx), ctx);
            var branches = m.add(a);                                            // mlp_output + attn_output
            m.Dispose();
            a.Dispose();
            var sum = branches.add(x);                                          // + hidden_states
            branches.Dispose();
            ctx.At("block: parallel residual");
            return sum.MoveToOuterDisposeScope();
        }
        var attnIn = attnNorm is null ? x.alias() : attnNorm.Forward(x, ctx);
        var o = attention.Forward(attnIn, ctx);                                 // consumes attnIn
        if (attnPostNorm is not null) o = Replace(o, attnPostNorm.Forward(o, ctx));
        o = Dropout(o);
        var h1 = x.add(o);                                                      // residual dtype
        o.Dispose();
        ctx.At("block: residual (attention)");
        var m2 = mlp.Forward(mlpNorm is null ? h1.alias() : mlpNorm.Forward(h1, ctx), ctx);
        var h2 = h1.add(m2);
        m2.Dispose();
        h1.Dispose();
        ctx.At("block: residual (mlp)");
        return h2.MoveToOuterDisposeScope();
    }

    Tensor Dropout(Tensor t) => d.ResidualDropout > 0 ? Replace(t, nn.functional.dropout(t, d.ResidualDropout, training: true)) : t;

    static Tensor Replace(Tensor old, Tensor replacement)
    {
        old.Dispose();
        return replacement;
    }

    public void Dispose() => buffer?.Dispose();
}
