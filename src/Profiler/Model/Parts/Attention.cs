using GaLore.Planner.Memory.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model.Parts;

/// <summary>
/// Llama self-attention (<c>self_attn</c>): q/k/v projections, optional RMSNorm of queries and keys (over each head's
/// head_dim when <paramref name="normPerHead"/>, as Qwen3; else over the whole projection, as OLMoE), rotary embedding,
/// grouped-query attention by repeating K/V heads (Ainslie et al. 2023, arXiv 2305.13245; HF's <c>repeat_kv</c>), causal
/// attention (fused SDPA or eager math), and the output projection. Each intermediate is disposed right after its last
/// use, in the order of the planner's block graph (<c>LlamaFamily</c>'s block, <c>MoeDecoderFamily</c>'s attention).
/// </summary>
internal sealed class Attention(long heads, long kvHeads, long headDim, Projection qProj, Projection kProj, Projection vProj, Projection oProj,
    RmsNorm? qNorm = null, RmsNorm? kNorm = null, bool normPerHead = false)
{
    /// <summary>(B, T, h) normalized input → (B, T, h) attention output, activation dtype. Takes ownership of
    /// <paramref name="x"/>: its handle is disposed after v_proj, its last use (autograd keeps what it saved).</summary>
    public Tensor Forward(Tensor x, ForwardContext ctx)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        var q = qProj.Forward(x, ctx);                                                  // (B, T, heads·d)
        var k = kProj.Forward(x, ctx);                                                  // (B, T, kv·d)
        var v = vProj.Forward(x, ctx);                                                  // (B, T, kv·d)
        x.Dispose();
        ctx.At("attention: q, k, v projections");
        if (qNorm is not null && kNorm is not null)
        {
            q = Replace(q, Normed(qNorm, q, heads, ctx));                               // (B, T, heads·d) or (B, T, heads, d)
            k = Replace(k, Normed(kNorm, k, kvHeads, ctx));
            ctx.At("attention: q_norm, k_norm");
        }
        var qRot = Step(() => Rotary.Apply(Heads(q, b, t, heads), ctx.Cos, ctx.Sin));   // (B, heads, T, d)
        q.Dispose();
        var kRot = Step(() => Rotary.Apply(Heads(k, b, t, kvHeads), ctx.Cos, ctx.Sin)); // (B, kv, T, d)
        k.Dispose();
        var vHeads = Heads(v, b, t, kvHeads);                                           // (B, kv, T, d) view of v
        v.Dispose();
        ctx.At("attention: rotary");
        if (kvHeads != heads)
        {
            kRot = Replace(kRot, RepeatKv(kRot, heads / kvHeads));                      // (B, heads, T, d)
            vHeads = Replace(vHeads, RepeatKv(vHeads, heads / kvHeads));                // (B, heads, T, d)
            ctx.At("attention: repeat_kv");
        }
        var attended = ctx.Attention == AttentionKind.Sdpa
            ? nn.functional.scaled_dot_product_attention(qRot, kRot, vHeads, is_casual: true) // (B, heads, T, d)
            : MathAttention(qRot, kRot, vHeads, ctx.CausalMask!, ctx);
        qRot.Dispose();
        kRot.Dispose();
        vHeads.Dispose();
        var merged = Step(() => attended.transpose(1, 2).reshape(b, t, heads * headDim)); // (B, T, heads·d)
        attended.Dispose();
        ctx.At("attention: heads merged");
        var o = oProj.Forward(merged, ctx);                                             // (B, T, h)
        ctx.At("attention: o_proj");
        return o.MoveToOuterDisposeScope();
    }

    /// <summary>The norm of a projection's output (B, T, n·d): per head on its (B, T, n, d) view, or over all of it.</summary>
    Tensor Normed(RmsNorm norm, Tensor x, long n, ForwardContext ctx)
    {
        if (!normPerHead) return norm.Forward(x, ctx);
        using var perHead = x.view(x.shape[0], x.shape[1], n, headDim);
        return norm.Forward(perHead, ctx);
    }

    /// <summary>(B, T, n·d) → (B, n, T, d) view.</summary>
    static Tensor Heads(Tensor x, long b, long t, long n) => x.view(b, t, n, -1).transpose(1, 2);

    /// <summary>HF's <c>repeat_kv</c>: (B, kv, T, d) → (B, kv·rep, T, d) by expand + reshape (a copy).</summary>
    internal static Tensor RepeatKv(Tensor x, long rep)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], kv = x.shape[1], t = x.shape[2], d = x.shape[3];
        return x.unsqueeze(2).expand(b, kv, rep, t, d).reshape(b, kv * rep, t, d).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Eager attention as HF's <c>eager_attention_forward</c>: scores = q·kᵀ·scale + mask, softmax in float32,
    /// cast back, ·v. Each step's input is freed as soon as the next exists.
    /// </summary>
    internal static Tensor MathAttention(Tensor q, Tensor k, Tensor v, Tensor mask, ForwardContext? ctx = null)
    {
        using var scope = torch.NewDisposeScope();
        double scale = 1.0 / Math.Sqrt(q.shape[^1]);
        var raw = Step(() => q.matmul(k.transpose(-2, -1)));                           // (B, H, T, T)
        var scaled = raw.mul(scale);
        raw.Dispose();
        var scores = scaled.add(mask);                                                  // (B, H, T, T) + (1, 1, T, T)
        scaled.Dispose();
        ctx?.At("attention: scores");
        var probs32 = scores.softmax(-1, ScalarType.Float32);                          // (B, H, T, T) float32, saved
        scores.Dispose();
        ctx?.At("attention: softmax");
        var probs = probs32.dtype == q.dtype ? probs32 : probs32.to(q.dtype);         // saved by ·v
        var context = probs.matmul(v);                                                  // (B, H, T, d)
        return context.MoveToOuterDisposeScope();
    }

    /// <summary>Additive causal mask (1, 1, T, T): 0 on and below the diagonal, −∞ above.</summary>
    internal static Tensor CausalMask(long t, ScalarType dtype, Device device)
    {
        using var scope = torch.NewDisposeScope();
        var mask = torch.full(t, t, float.NegativeInfinity, ScalarType.Float32, device).triu(1);
        return mask.to(dtype).view(1, 1, t, t).MoveToOuterDisposeScope();
    }

    /// <summary>Runs <paramref name="f"/> in its own dispose scope; only its result survives.</summary>
    internal static Tensor Step(Func<Tensor> f)
    {
        using var scope = torch.NewDisposeScope();
        return f().MoveToOuterDisposeScope();
    }

    static Tensor Replace(Tensor old, Tensor replacement)
    {
        old.Dispose();
        return replacement;
    }
}
