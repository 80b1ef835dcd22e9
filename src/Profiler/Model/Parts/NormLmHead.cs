using GaLore.Planner.Models.Layout;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model.Parts;

/// <summary>
/// The head of a causal LM: final norm, lm_head (the embedding when tied), and HF's <c>ForCausalLMLoss</c> — logits
/// upcast to float32 (skipped when already float32), log_softmax, nll_loss — each stage freed as soon as the next exists.
/// </summary>
internal sealed class NormLmHead(LayoutPart layout, RmsNorm norm, Parameter lmHead) : HeadPart
{
    public override LayoutPart Layout => layout;

    internal override Tensor Loss(Tensor hidden, Tensor targets, ForwardContext ctx)
    {
        using var scope = torch.NewDisposeScope();
        var normed = norm.Forward(hidden, ctx);                                   // (B, T, h) activation dtype
        hidden.Dispose();
        ctx.At("head: norm");
        var logits = Projection.Apply(normed, ctx.Use(lmHead), null, ctx.Types); // (B, T, V) activation dtype
        normed.Dispose();
        ctx.At("head: lm_head");
        var loss = CrossEntropy(logits, targets, ctx);
        ctx.At("head: loss");
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>logits (B, T, V) → mean NLL; frees each stage as soon as the next exists.</summary>
    internal static Tensor CrossEntropy(Tensor logits, Tensor targets, ForwardContext ctx)
    {
        long v = logits.shape[^1];
        var logits32 = logits.dtype == ScalarType.Float32 ? logits : logits.to(ScalarType.Float32); // (B, T, V) float32
        if (!ReferenceEquals(logits32, logits)) logits.Dispose();
        ctx.At("head: logits float32");
        var logProbs = nn.functional.log_softmax(logits32, -1);                // (B, T, V) float32, saved
        logits32.Dispose();
        ctx.At("head: log_softmax");
        using var flat = logProbs.view(-1, v);
        var loss = nn.functional.nll_loss(flat, targets.reshape(-1));
        logProbs.Dispose();
        return loss;
    }
}
