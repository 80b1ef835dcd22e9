using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models.Families;
using GaLore.Planner.Models.Layout;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model.Parts;

/// <summary>
/// The dense decoders' embedding (<see cref="DecoderEmbeddingDesign"/>): the token lookup, GPT-2's position lookup
/// (positions of shape (1, T), as transformers passes them) and sum, Gemma's √h scaling (by a 0-d tensor of the
/// embedding's dtype, so √h is rounded as Gemma's code rounds it), and GPT-2's embedding dropout. Its tables: rotary cos/sin
/// (float32 for OLMo-2; a second, local pair for Gemma-3), and the masks transformers builds once per forward — under eager
/// attention an additive (B, 1, T, T) causal mask and a window mask, under SDPA a boolean window mask once the sequence
/// reaches the window (shorter sequences skip it, <c>_ignore_causal_mask_sdpa</c>).
/// </summary>
internal sealed class DecoderEmbedding(LayoutPart layout, DecoderEmbeddingDesign design, Parameter table, Parameter? positions,
    int window, double ropeTheta, double localRopeTheta) : EmbeddingPart
{
    public override LayoutPart Layout => layout;

    internal override ForwardTables Tables(long batch, long seq, ModelDTypes types, ModelOptions options, Device device)
    {
        Tensor? cos = null, sin = null, localCos = null, localSin = null, causal = null, windowMask = null;
        var ropeType = design.Float32Rotary ? ScalarType.Float32 : types.Activation;
        if (design.RotaryWidth > 0) (cos, sin) = Rotary.Tables(batch, seq, design.RotaryWidth, ropeTheta, ropeType, device);     // (B, T, r)
        if (design.RotaryTables > 1) (localCos, localSin) = Rotary.Tables(batch, seq, design.RotaryWidth, localRopeTheta, ropeType, device);
        if (options.Attention == AttentionKind.Math)
        {
            if (design.FullLayers) causal = Additive(Allowed(batch, seq, 0, device), types.Activation);                       // (B, 1, T, T)
            if (design.SlidingLayers) windowMask = Additive(Allowed(batch, seq, window, device), types.Activation);
        }
        else if (design.SlidingLayers && seq >= window) windowMask = Allowed(batch, seq, window, device);                     // (B, 1, T, T) bool
        return new ForwardTables(cos, sin, causal) { LocalCos = localCos, LocalSin = localSin, WindowMask = windowMask };
    }

    /// <summary>Which keys each query may attend, (B, 1, T, T) bool: causal, and within the last <paramref name="window"/>
    /// positions when it is positive (<c>kv_idx &gt; q_idx − window</c>, transformers' <c>sliding_window_overlay</c>).</summary>
    static Tensor Allowed(long batch, long seq, int window, Device device)
    {
        using var scope = torch.NewDisposeScope();
        var mask = torch.ones(seq, seq, ScalarType.Bool, device).tril();
        if (window > 0) mask = mask.logical_and(torch.ones(seq, seq, ScalarType.Bool, device).triu(1 - window));
        return mask.view(1, 1, seq, seq).expand(batch, 1, seq, seq).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>0 where allowed, −∞ elsewhere, in <paramref name="dtype"/> (transformers' <c>eager_mask</c> uses the dtype's
    /// minimum; −∞ gives the same softmax).</summary>
    static Tensor Additive(Tensor allowed, ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        var zero = torch.zeros(1, dtype, allowed.device);
        var blocked = torch.full(1, float.NegativeInfinity, dtype, allowed.device);
        var result = torch.where(allowed, zero, blocked);
        allowed.Dispose();
        return result.MoveToOuterDisposeScope();
    }

    internal override Tensor Forward(Tensor ids, ForwardContext ctx)
    {
        using var scope = torch.NewDisposeScope();
        long t = ids.shape[1];
        var hidden = RotaryTokenEmbedding.Lookup(ids, ctx.Use(table));                              // (B, T, h)
        if (positions is not null)
        {
            using var positionIds = torch.arange(t, ScalarType.Int64, ids.device).view(1, t);
            var pe = RotaryTokenEmbedding.Lookup(positionIds, ctx.Use(positions));                  // (1, T, h)
            hidden = Replace(hidden, hidden.add(pe));
            pe.Dispose();
        }
        if (design.ScaleEmbeddings)
        {
            using var normalizer = torch.tensor(Math.Sqrt(design.Hidden), hidden.dtype, hidden.device);
            hidden = Replace(hidden, hidden.mul(normalizer));                                       // (B, T, h)·√h
        }
        if (design.Dropout > 0) hidden = Replace(hidden, nn.functional.dropout(hidden, design.Dropout, training: true));
        return hidden.MoveToOuterDisposeScope();
    }

    static Tensor Replace(Tensor old, Tensor replacement)
    {
        old.Dispose();
        return replacement;
    }
}
