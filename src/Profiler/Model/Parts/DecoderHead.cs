using GaLore.Planner.Models.Families;
using GaLore.Planner.Models.Layout;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model.Parts;

/// <summary>The dense decoders' head: the final norm, lm_head (the embedding when tied), Gemma's final soft-cap
/// c·tanh(logits / c) on the activation-dtype logits, and the loss (<see cref="NormLmHead.CrossEntropy"/>).</summary>
internal sealed class DecoderHead(LayoutPart layout, DecoderHeadDesign d, DecoderNorm norm, Parameter lmHead) : HeadPart
{
    public override LayoutPart Layout => layout;

    internal override Tensor Loss(Tensor hidden, Tensor targets, ForwardContext ctx)
    {
        using var scope = torch.NewDisposeScope();
        var normed = norm.Forward(hidden, ctx);                                   // (B, T, h)
        hidden.Dispose();
        ctx.At("head: norm");
        var logits = Projection.Apply(normed, ctx.Use(lmHead), null, ctx.Types); // (B, T, V) activation dtype
        normed.Dispose();
        ctx.At("head: lm_head");
        if (d.FinalSoftcap > 0)
        {
            logits = Replace(logits, logits.div(d.FinalSoftcap));
            logits = Replace(logits, logits.tanh());
            logits = Replace(logits, logits.mul(d.FinalSoftcap));
            ctx.At("head: final soft-cap");
        }
        var loss = NormLmHead.CrossEntropy(logits, targets, ctx);
        ctx.At("head: loss");
        return loss.MoveToOuterDisposeScope();
    }

    static Tensor Replace(Tensor old, Tensor replacement)
    {
        old.Dispose();
        return replacement;
    }
}
