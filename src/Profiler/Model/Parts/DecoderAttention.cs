using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models.Families;
using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model.Parts;

/// <summary>
/// Self-attention of the dense decoders (<see cref="DecoderBlockDesign"/>), op for op as the planner's block graph
/// (<c>DecoderGraph</c>) lists them: q/k/v from separate projections or as views of a fused one (sliced, split, or chunked
/// per head), q/k RMSNorms per head or over the projection, rotary embedding (full, partial, or in float32), K/V heads
/// repeated for grouped-query attention, then SDPA (with a boolean window mask on a sliding layer once the sequence
/// reaches the window; with dropout, libtorch's math path on the CPU) or the family's eager attention, the heads merged,
/// and the output projection. Each intermediate is disposed right after its last use.
/// </summary>
internal sealed class DecoderAttention(DecoderBlockDesign d, IProjection? q, IProjection? k, IProjection? v, IProjection? qkv,
    IProjection o, DecoderNorm? qNorm, DecoderNorm? kNorm, double scale, Tensor? causalBuffer)
{
    /// <summary>(B, T, h) → (B, T, h) in the activation dtype; disposes <paramref name="x"/> after its last use.</summary>
    public Tensor Forward(Tensor x, ForwardContext ctx)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], t = x.shape[1], nh = d.Heads, nkv = d.KeyValueHeads, hd = d.HeadDim, qd = d.QueryDim, kvd = d.KeyValueDim;
        Tensor qh, kh, vh;                                                                        // (B, heads, T, d)
        if (d.Qkv == QkvLayout.Separate)
        {
            var qp = q!.Forward(x, ctx);                                                          // (B, T, heads·d)
            var kp = k!.Forward(x, ctx);                                                          // (B, T, kv·d)
            var vp = v!.Forward(x, ctx);
            x.Dispose();
            (qh, kh) = (Normed(qNorm, qp, b, t, nh, ctx), Normed(kNorm, kp, b, t, nkv, ctx));
            vh = Heads(vp, b, t, nkv);
            vp.Dispose();
        }
        else
        {
            var fused = qkv!.Forward(x, ctx);                                                     // (B, T, (heads + 2·kv)·d)
            x.Dispose();
            if (d.Qkv == QkvLayout.FusedPerHead)
            {
                var chunks = fused.view(b, t, nh, 3 * hd).transpose(1, 2).chunk(3, -1);           // views (B, heads, T, d)
                (qh, kh, vh) = (chunks[0], chunks[1], chunks[2]);
            }
            else
            {
                var parts = d.Qkv == QkvLayout.FusedSliced
                    ? [fused.narrow(-1, 0, qd), fused.narrow(-1, qd, kvd), fused.narrow(-1, qd + kvd, kvd)]  // Phi-3: qkv[..., a:b]
                    : fused.split([qd, kvd, kvd], -1);                                                     // GPT-2: .split(h, dim=2)
                (qh, kh) = (Normed(qNorm, parts[0], b, t, nh, ctx), Normed(kNorm, parts[1], b, t, nkv, ctx));
                vh = Heads(parts[2], b, t, nkv);
                foreach (var p in parts) p.Dispose();
            }
            fused.Dispose();                                                                      // the views keep its storage
        }
        ctx.At("attention: q, k, v");
        if (d.RotaryWidth > 0)
        {
            var (cos, sin) = d.Sliding && ctx.Tables.LocalCos is { } lc ? (lc, ctx.Tables.LocalSin!) : (ctx.Cos, ctx.Sin);
            qh = Replace(qh, Rotate(qh, cos, sin));
            kh = Replace(kh, Rotate(kh, cos, sin));
            ctx.At("attention: rotary");
        }
        if (nkv != nh)
        {
            kh = Replace(kh, Attention.RepeatKv(kh, nh / nkv));
            vh = Replace(vh, Attention.RepeatKv(vh, nh / nkv));
            ctx.At("attention: repeat_kv");
        }
        var attended = ctx.Attention == AttentionKind.Sdpa ? Sdpa(qh, kh, vh, ctx) : Eager(qh, kh, vh, ctx);
        qh.Dispose();
        kh.Dispose();
        vh.Dispose();
        var merged = Attention.Step(() => attended.transpose(1, 2).reshape(b, t, qd));           // (B, T, heads·d)
        attended.Dispose();
        ctx.At("attention: heads merged");
        var output = o.Forward(merged, ctx);                                                      // (B, T, h)
        ctx.At("attention: output projection");
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>(B, T, n·d) → (B, n, T, d) view.</summary>
    static Tensor Heads(Tensor x, long b, long t, long n) => x.view(b, t, n, -1).transpose(1, 2);

    /// <summary>The q or k heads, normalised first when the design has q/k norms: per head (Qwen3, Gemma-3) on the
    /// (B, T, n, d) view, or over the whole projection (OLMo-2).</summary>
    Tensor Normed(DecoderNorm? norm, Tensor p, long b, long t, long n, ForwardContext ctx)
    {
        if (norm is null)
        {
            var heads = Heads(p, b, t, n);
            p.Dispose();                                                                          // the view keeps the storage
            return heads;
        }
        using var scope = torch.NewDisposeScope();
        var normed = d.QkNorm == QkNormKind.PerHead ? norm.Forward(p.view(b, t, n, -1), ctx) : norm.Forward(p, ctx);
        p.Dispose();
        return normed.view(b, t, n, -1).transpose(1, 2).MoveToOuterDisposeScope();
    }

    /// <summary>Rotary embedding of (B, n, T, d): over all of d, its first <see cref="DecoderBlockDesign.RotaryWidth"/> (the
    /// rest concatenated back), or — with float32 tables (OLMo-2) — computed in float32 and cast back.</summary>
    Tensor Rotate(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = torch.NewDisposeScope();
        if (d.RotaryWidth < d.HeadDim)
        {
            var rotated = Rotary.Apply(x.narrow(-1, 0, d.RotaryWidth), cos, sin);                 // (B, n, T, r)
            var joined = torch.cat([rotated, x.narrow(-1, d.RotaryWidth, d.HeadDim - d.RotaryWidth)], -1);
            rotated.Dispose();
            return joined.MoveToOuterDisposeScope();
        }
        if (!d.Float32Rotary || cos.dtype == x.dtype) return Rotary.Apply(x, cos, sin).MoveToOuterDisposeScope();
        // (q · cos) + (rotate_half(q) · sin) promote to float32; .to(q.dtype) last (modeling_olmo2.apply_rotary_pos_emb).
        long half = x.shape[^1] / 2;
        var c = cos.unsqueeze(1);
        var s = sin.unsqueeze(1);
        var xc = x.mul(c);                                                                         // float32
        var turned = Attention.Step(() => torch.cat([x.narrow(-1, half, half).neg(), x.narrow(-1, 0, half)], -1));
        var xs = turned.mul(s);                                                                    // float32
        turned.Dispose();
        var sum = xc.add(xs);                                                                      // float32
        xc.Dispose();
        xs.Dispose();
        var y = sum.to(x.dtype);
        sum.Dispose();
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>SDPA: causal, or with the window mask on a sliding layer when the forward built one; with dropout when the
    /// design has it (as transformers passes <c>dropout_p</c> in training).</summary>
    Tensor Sdpa(Tensor q, Tensor k, Tensor v, ForwardContext ctx)
    {
        using var scope = torch.NewDisposeScope();
        if (scale != 1.0 / Math.Sqrt(d.HeadDim)) q = q.mul(scale * Math.Sqrt(d.HeadDim)); // TorchSharp 0.107's SDPA takes no scale
        var mask = d.Sliding ? ctx.Tables.WindowMask : null;
        var y = mask is not null
            ? nn.functional.scaled_dot_product_attention(q, k, v, mask, d.AttentionDropout)
            : nn.functional.scaled_dot_product_attention(q, k, v, p: d.AttentionDropout, is_casual: true);
        ctx.At("attention: sdpa");
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>The family's eager attention: <c>eager_attention_forward</c> ((q·kᵀ)·scale, Gemma-2's soft-cap, + mask,
    /// softmax in float32, cast back, dropout, ·v) or GPT-2's ((q·kᵀ) / √d, <c>torch.where</c> with the layer's causal buffer,
    /// + the causal mask, softmax in the scores' dtype — float32 under mixed precision — dropout, ·v).</summary>
    Tensor Eager(Tensor q, Tensor k, Tensor v, ForwardContext ctx)
    {
        using var scope = torch.NewDisposeScope();
        var mask = d.Sliding ? ctx.Tables.WindowMask! : ctx.CausalMask!;
        Tensor probs;
        if (d.Eager == EagerAttention.Gpt2)
        {
            long t = q.shape[2];
            var raw = Attention.Step(() => q.matmul(k.transpose(-2, -1)));                        // (B, H, T, T)
            using var root = torch.tensor(Math.Sqrt(d.HeadDim), raw.dtype, raw.device);
            var scaled = raw.div(root);
            raw.Dispose();
            using var allowed = causalBuffer!.narrow(2, 0, t).narrow(3, 0, t);
            using var lowest = torch.full(1, float.MinValue, scaled.dtype, scaled.device);
            var masked = torch.where(allowed, scaled, lowest);
            scaled.Dispose();
            var scores = masked.add(mask);
            masked.Dispose();
            ctx.At("attention: scores");
            probs = ctx.Types.CastsWeights ? scores.softmax(-1, ScalarType.Float32) : scores.softmax(-1);
            scores.Dispose();
            if (probs.dtype != v.dtype) probs = Replace(probs, probs.to(v.dtype));
        }
        else
        {
            var raw = Attention.Step(() => q.matmul(k.transpose(-2, -1)));                        // (B, H, T, T)
            var scores = raw.mul(scale);
            raw.Dispose();
            if (d.AttnSoftcap > 0)
            {
                scores = Replace(scores, scores.div(d.AttnSoftcap));
                scores = Replace(scores, scores.tanh());
                scores = Replace(scores, scores.mul(d.AttnSoftcap));
            }
            scores = Replace(scores, scores.add(mask));
            ctx.At("attention: scores");
            var probs32 = scores.softmax(-1, ScalarType.Float32);                                 // saved
            scores.Dispose();
            probs = probs32.dtype == q.dtype ? probs32 : probs32.to(q.dtype);
            if (!ReferenceEquals(probs, probs32)) probs32.Dispose();
        }
        if (d.AttentionDropout > 0) probs = Replace(probs, nn.functional.dropout(probs, d.AttentionDropout, training: true));
        ctx.At("attention: softmax");
        var context = probs.matmul(v);                                                            // (B, H, T, d)
        probs.Dispose();
        return context.MoveToOuterDisposeScope();
    }

    static Tensor Replace(Tensor old, Tensor replacement)
    {
        old.Dispose();
        return replacement;
    }
}
