using GaLore.Planner.Runtime;

namespace GaLore.Planner.Memory.Graph;

/// <summary>
/// The ops families compose their graphs from, with what each allocates and saves for backward as PyTorch's
/// autograd (and this project's TorchSharp model) keep it. Sizes per token: a = activation bytes, r = residual bytes.
/// </summary>
public static partial class GraphParts
{
    /// <summary>RMSNorm (Zhang &amp; Sennrich 2019, arXiv 1910.07467) over <paramref name="width"/> elements per token as the
    /// runtime implements it; <paramref name="rows"/> &gt; 1 normalises each token's width in that many rows of width / rows
    /// (Qwen3's per-head q_norm/k_norm over head_dim), with one 1/rms per row.</summary>
    public static GraphTensor RmsNorm(GraphBuilder b, GraphContext x, string name, GraphTensor input, long width, ParamRole weight,
        long rows = 1)
    {
        long a = x.ActivationBytes, r = x.ResidualBytes;
        bool fused = x.Flavor.Norm == NormStyle.SavesInputAndRstd;
        var rstd = b.Tensor($"{name} 1/rms", Extent.Tokens(4 * rows), requiresGrad: !fused);
        if (fused)
        {
            // Fused: out = w · x / rms(x) computed in float32 chunks, written in the activation dtype.
            var outF = b.Tensor($"{name} out", Extent.Tokens(a * width));
            // Float32 row blocks of at most NormBlockBytes each, NormBlocksAlive at once (whole rows per block).
            long rowWidth = width / rows;
            long rowsPerBlock = Math.Max(1, KernelBudget.NormBlockBytes / (4 * rowWidth));
            var scratch = Extent.TokensUpTo(KernelBudget.NormBlocksAlive * 4 * width, KernelBudget.NormBlocksAlive * rowsPerBlock * 4 * rowWidth);
            b.Op(name, [input], [outF, rstd], saved: [input, rstd], parameters: [weight], forwardScratch: scratch, backwardScratch: scratch);
            return outF;
        }
        // transformers' LlamaRMSNorm: x32 = x.float(); rstd = rsqrt(mean(x32²)+eps); y = w * (x32*rstd).to(x.dtype).
        // The input is the residual stream (float32 under autocast, so no upcast) or, for a q/k norm, a projection's
        // output; the product with the weight promotes to the wider of the two dtypes (float32 master weights under mixed).
        long inBytes = input.Size.PerToken / width;
        long outBytes = Math.Max(inBytes, x.Precision.WeightBytes);
        var x32 = inBytes == 4 ? input : b.Tensor($"{name} input float32", Extent.Tokens(4 * width));
        var normalized = b.Tensor($"{name} normalized", Extent.Tokens(inBytes * width));
        var o = b.Tensor($"{name} out", Extent.Tokens(outBytes * width));
        if (x32 != input) b.Op($"{name} upcast", [input], [x32]);
        b.Op($"{name} rsqrt(mean(x²))", [x32], [rstd], saved: [x32, rstd], forwardScratch: Extent.Tokens(4 * width));
        var normalized32 = inBytes == 4 ? normalized : b.Tensor($"{name} normalized float32", Extent.Tokens(4 * width));
        b.Op($"{name} x·rstd", [x32, rstd], [normalized32], saved: [x32, rstd]);
        if (normalized32 != normalized) b.Op($"{name} downcast", [normalized32], [normalized]);
        // w · x̂ saves x̂ only for dw: not under peft, whose norm weights are frozen.
        b.Op($"{name} ·weight", [normalized], [o], saved: x.Adapters is null ? [normalized] : [], parameters: [weight]);
        return o;
    }

    /// <summary>nn.Linear: y = x·Wᵀ (+ b). Saves x (for dW) and W (for dx). Under autocast the weight — and,
    /// in the reference, a float32 input — is first cast to BF16, and the casts are what is saved.</summary>
    public static GraphTensor Linear(GraphBuilder b, GraphContext x, string name, GraphTensor input, long outFeatures, long inFeatures,
        ParamRole weight, ParamRole? bias)
    {
        if (x.Adapters is { } peft) return Adapters.AdapterGraph.Linear(b, x, peft, name, input, outFeatures, inFeatures, weight, bias);
        var inputs = new List<GraphTensor>();
        var ps = new List<ParamRole>();
        var xin = input;
        if (x.CastsWeights && input.Size.PerToken == 4 * inFeatures)
        {
            xin = b.Tensor($"{name} input bf16", Extent.Tokens(2 * inFeatures));
            b.Op($"autocast {name} input", [input], [xin]);
        }
        inputs.Add(xin);
        if (x.CastsWeights)
        {
            var wb = b.Tensor($"{name}.weight bf16", Extent.Fixed(2 * outFeatures * inFeatures));
            b.Op($"autocast {name}.weight", [], [wb], parameters: [weight]);
            inputs.Add(wb);
        }
        else ps.Add(weight);
        if (bias is { } bi) ps.Add(bi);
        var y = b.Tensor($"{name} out", Extent.Tokens(x.ActivationBytes * outFeatures));
        b.Op(name, inputs.ToArray(), [y], saved: inputs.ToArray(), parameters: ps.ToArray());
        return y;
    }

    /// <summary>Rotary embedding (Su et al. 2021, arXiv 2104.09864) as HF writes it: x·cos + rotate_half(x)·sin.
    /// Only cos/sin are saved; the products and the rotated copy are scratch.</summary>
    public static GraphTensor Rotary(GraphBuilder b, GraphContext x, string name, GraphTensor input, long width)
    {
        long a = x.ActivationBytes;
        var y = b.Tensor($"{name} rotated", Extent.Tokens(a * width));
        var scratch = Extent.Tokens(5 * a * width / 2); // x·cos, -x₂, cat(-x₂, x₁), then ·sin
        b.Op($"rotary {name}", [input], [y], forwardScratch: scratch, backwardScratch: Extent.Tokens(2 * a * width));
        return y;
    }

    /// <summary>Grouped-query attention's K/V heads repeated to the query heads (HF's <c>repeat_kv</c>; Ainslie et al. 2023,
    /// arXiv 2305.13245) when the runtime materialises them: a copy of <paramref name="queryWidth"/> per token.</summary>
    public static GraphTensor RepeatKv(GraphBuilder b, GraphContext x, string name, GraphTensor input, long queryWidth)
    {
        var repeated = b.Tensor($"{name} repeated", Extent.Tokens(x.ActivationBytes * queryWidth));
        b.Op($"repeat_kv {name}", [input], [repeated]);
        return repeated;
    }

    /// <summary>Rotary on q and k, K/V heads repeated for grouped-query attention when the runtime materialises them,
    /// then <see cref="Attention"/>: the middle of a Llama-style self-attention, from the projections' outputs to the heads
    /// merged, (B, T, heads·d).</summary>
    public static GraphTensor RotaryAttention(GraphBuilder b, GraphContext x, long heads, long kvHeads, long queryWidth, long kvWidth,
        GraphTensor q, GraphTensor k, GraphTensor v)
    {
        var qRot = Rotary(b, x, "q", q, queryWidth);
        var kRot = Rotary(b, x, "k", k, kvWidth);
        var kAtt = kRot;
        var vAtt = v;
        if (kvHeads < heads && x.Flavor.RepeatKvForGqa)
        {
            kAtt = RepeatKv(b, x, "k", kRot, queryWidth);
            vAtt = RepeatKv(b, x, "v", v, queryWidth);
        }
        return Attention(b, x, queryWidth, heads, qRot, kAtt, vAtt);
    }

    /// <summary>Attention of the kind <see cref="GraphContext.Attention"/> over <paramref name="heads"/> query heads of total
    /// width <paramref name="queryWidth"/>; returns the heads merged, (B, T, queryWidth).</summary>
    public static GraphTensor Attention(GraphBuilder b, GraphContext x, long queryWidth, long heads, GraphTensor q, GraphTensor k, GraphTensor v) =>
        x.Attention == AttentionKind.Sdpa
            ? FusedAttention(b, x.ActivationBytes, queryWidth, heads, q, k, v)
            : MathAttention(b, x.ActivationBytes, queryWidth, heads, q, k, v, x.Flavor.HostKernels);

    /// <summary>Fused attention: saves q, k, v, the output and a float32 log-sum-exp per query and head. The output is
    /// laid out (B, T, heads, d) and returned as its (B, heads, T, d) transpose, so merging the heads is a view — on CUDA
    /// always, on the CPU when the query is the projection's transposed view, as it is after a full rotary (libtorch's CPU
    /// flash kernel follows the query's layout; measured on libtorch 2.10, a block's forward adds the output once; a partial
    /// rotary's query is another matter: <c>GraphParts.HostMerge</c>).</summary>
    static GraphTensor FusedAttention(GraphBuilder b, long a, long q, long nh, GraphTensor qT, GraphTensor kT, GraphTensor vT)
    {
        var o = b.Tensor("attention out", Extent.Tokens(a * q));
        var lse = b.Tensor("attention logsumexp", Extent.Tokens(4 * nh), requiresGrad: false);
        b.Op("scaled_dot_product_attention", [qT, kT, vT], [o, lse], saved: [qT, kT, vT, o, lse],
            backwardScratch: Extent.Tokens(4 * q + 4 * nh)); // float32 dq accumulator and softmax row sums
        return o;
    }

    /// <summary>Eager attention: scores = q·kᵀ·scale + mask (a·heads·s per token each), softmax in float32
    /// (saved), cast back (saved for ·v; in float32 the cast is the same tensor), then the transposed output made
    /// contiguous. On CPU the float32 softmax of BF16 scores first copies them to float32.</summary>
    static GraphTensor MathAttention(GraphBuilder b, long a, long q, long nh, GraphTensor qT, GraphTensor kT, GraphTensor vT, bool host)
    {
        var scores = b.Tensor("attention scores", Extent.TokensBySeq(a * nh));
        b.Op("q·kᵀ·scale + mask", [qT, kT], [scores], saved: [qT, kT], forwardScratch: Extent.TokensBySeq(a * nh));
        var probs32 = b.Tensor("softmax float32", Extent.TokensBySeq(4 * nh));
        b.Op("softmax", [scores], [probs32], saved: [probs32],
            forwardScratch: host && a != 4 ? Extent.TokensBySeq(4 * nh) : Extent.Zero);
        var probs = probs32;
        if (a != 4)
        {
            probs = b.Tensor("softmax", Extent.TokensBySeq(a * nh));
            b.Op("softmax.to(dtype)", [probs32], [probs]);
        }
        var ctx = b.Tensor("probs·v", Extent.Tokens(a * q));
        b.Op("probs·v", [probs, vT], [ctx], saved: [probs, vT]);
        var o = b.Tensor("attention out", Extent.Tokens(a * q));
        b.Op("transpose().contiguous()", [ctx], [o]);
        return o;
    }

    /// <summary>SwiGLU (Shazeer 2020, arXiv 2002.05202): silu(gate)·up. silu saves gate's output; the product saves
    /// silu(gate) and up. Returns the product, (B, T, width).</summary>
    public static GraphTensor SwiGlu(GraphBuilder b, GraphContext x, GraphTensor gate, GraphTensor up, long width)
    {
        long a = x.ActivationBytes;
        var act = b.Tensor("silu(gate)", Extent.Tokens(a * width));
        b.Op("silu", [gate], [act], saved: [gate]);
        var prod = b.Tensor("silu(gate)·up", Extent.Tokens(a * width));
        b.Op("mul", [act, up], [prod], saved: [act, up]);
        return prod;
    }

    /// <summary>A residual addition: saves nothing, hands its gradient to both inputs.</summary>
    public static GraphTensor ResidualAdd(GraphBuilder b, GraphContext x, string branchName, string sumName, GraphTensor residual,
        GraphTensor branch, long width)
    {
        var sum = b.Tensor(sumName, Extent.Tokens(x.ResidualBytes * width));
        b.Op($"residual add ({branchName})", [residual, branch], [sum], passThroughGrad: true);
        return sum;
    }

    /// <summary>The causal-LM loss of HF's <c>ForCausalLMLoss</c>: logits upcast to float32 (when the runtime does and
    /// they are not float32 already), log_softmax saved for backward, nll_loss to a scalar.</summary>
    public static void CrossEntropy(GraphBuilder b, GraphContext x, GraphTensor logits, long vocab)
    {
        var lossInput = logits;
        if (x.Flavor.UpcastLogits && x.ActivationBytes != 4)
        {
            lossInput = b.Tensor("logits float32", Extent.Tokens(4 * vocab));
            b.Op("logits.float()", [logits], [lossInput]);
        }
        var logProbs = b.Tensor("log_softmax", Extent.Tokens(4 * vocab));
        b.Op("log_softmax", [lossInput], [logProbs], saved: [logProbs]);
        var loss = b.Tensor("loss", Extent.Fixed(4));
        b.Op("nll_loss", [logProbs], [loss]);
    }
}
