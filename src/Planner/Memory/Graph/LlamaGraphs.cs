using GaLore.Planner.Models;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Memory.Graph;

/// <summary>
/// The forward/backward graphs of a Llama-family decoder (<c>LlamaForCausalLM</c>): the embedding, one
/// decoder block (every block has the same shapes), and the head with the loss. Sizes per token with
/// a = activation bytes, r = residual-stream bytes (see <see cref="Precision"/>); the activation total per
/// block (<see cref="OpGraph.SavedSize"/>) is the Llama analogue of Korthikanti et al. 2022
/// (arXiv 2205.05198) Eq. 2 — SwiGLU's three i-wide tensors, no dropout, RMSNorm, GQA and fused attention
/// change its constants.
/// </summary>
public sealed class LlamaGraphs
{
    /// <summary>Embedding lookup: token ids → residual stream (and the rotary cos/sin tables).</summary>
    public OpGraph Embedding { get; }

    /// <summary>One decoder block.</summary>
    public OpGraph Block { get; }

    /// <summary>Final norm, lm_head and the cross-entropy loss.</summary>
    public OpGraph Head { get; }

    /// <summary>Builds the graphs for a model under a precision, runtime flavour and attention kind.</summary>
    public LlamaGraphs(ModelConfig c, Precision precision, GraphFlavor flavor, AttentionKind attention)
    {
        var ctx = new Context(c, precision, flavor);
        Embedding = BuildEmbedding(ctx);
        Block = BuildBlock(ctx, attention);
        Head = BuildHead(ctx);
    }

    /// <summary>Parameter roles of <see cref="Block"/>, in the order of <see cref="ParameterTable"/>'s layer entries.</summary>
    public static IReadOnlyList<string> BlockRoles(ModelConfig c)
    {
        var roles = new List<string> { "input_layernorm", "q_proj" };
        if (c.QkvBias) roles.Add("q_proj.bias");
        roles.Add("k_proj");
        if (c.QkvBias) roles.Add("k_proj.bias");
        roles.Add("v_proj");
        if (c.QkvBias) roles.Add("v_proj.bias");
        roles.Add("o_proj");
        if (c.OutputBias) roles.Add("o_proj.bias");
        roles.Add("post_attention_layernorm");
        roles.Add("gate_proj");
        if (c.MlpBias) roles.Add("gate_proj.bias");
        roles.Add("up_proj");
        if (c.MlpBias) roles.Add("up_proj.bias");
        roles.Add("down_proj");
        if (c.MlpBias) roles.Add("down_proj.bias");
        return roles;
    }

    sealed class Context(ModelConfig c, Precision p, GraphFlavor f)
    {
        public readonly ModelConfig C = c;
        public readonly GraphFlavor F = f;
        public readonly long A = p.ActivationBytes, R = p.ResidualBytes;
        public readonly bool CastWeights = p.CastsWeights;
        public readonly Dictionary<string, ParamRole> Roles = [];
    }

    static OpGraph BuildEmbedding(Context x)
    {
        var b = new GraphBuilder("embedding");
        var embed = b.Param("embed_tokens");
        var h0 = b.Tensor("hidden", Extent.Tokens(x.R * x.C.HiddenSize));
        // cos/sin [b, s, head_dim] in the activation dtype, read by every block's rotary op until backward ends.
        var rope = b.Tensor("rope cos/sin", Extent.Tokens(2 * x.A * x.C.HeadDim), requiresGrad: false);
        b.Op("embed_tokens", [], [h0, rope], saved: [rope], parameters: [embed]);
        return b.Build(h0);
    }

    static OpGraph BuildBlock(Context x, AttentionKind attention)
    {
        var c = x.C;
        long h = c.HiddenSize, i = c.IntermediateSize, q = c.QueryDim, kv = c.KeyValueDim, nh = c.NumHeads, a = x.A, r = x.R;
        var b = new GraphBuilder("block");
        var roles = new Dictionary<string, ParamRole>();
        foreach (var n in BlockRoles(c)) roles[n] = b.Param(n);
        ParamRole? Bias(string n) => roles.TryGetValue(n, out var role) ? role : null;

        var input = b.Input("hidden", Extent.Tokens(r * h));
        var n1 = Norm(b, x, "input_layernorm", input, roles["input_layernorm"]);
        var qOut = Linear(b, x, "q_proj", n1, q, h, roles["q_proj"], Bias("q_proj.bias"));
        var kOut = Linear(b, x, "k_proj", n1, kv, h, roles["k_proj"], Bias("k_proj.bias"));
        var vOut = Linear(b, x, "v_proj", n1, kv, h, roles["v_proj"], Bias("v_proj.bias"));
        var qRot = Rotary(b, x, "q", qOut, q);
        var kRot = Rotary(b, x, "k", kOut, kv);
        var kAtt = kRot;
        var vAtt = vOut;
        if (c.IsGroupedQuery && x.F.RepeatKvForGqa)
        {
            kAtt = b.Tensor("k repeated", Extent.Tokens(a * q));
            b.Op("repeat_kv k", [kRot], [kAtt]);
            vAtt = b.Tensor("v repeated", Extent.Tokens(a * q));
            b.Op("repeat_kv v", [vOut], [vAtt]);
        }
        var attnOut = attention == AttentionKind.Sdpa
            ? FusedAttention(b, a, q, nh, qRot, kAtt, vAtt, x.F.HostKernels)
            : MathAttention(b, a, q, nh, qRot, kAtt, vAtt, x.F.HostKernels);
        var oOut = Linear(b, x, "o_proj", attnOut, h, q, roles["o_proj"], Bias("o_proj.bias"));
        var h1 = b.Tensor("hidden after attention", Extent.Tokens(r * h));
        b.Op("residual add (attention)", [input, oOut], [h1], passThroughGrad: true);

        var n2 = Norm(b, x, "post_attention_layernorm", h1, roles["post_attention_layernorm"]);
        var gate = Linear(b, x, "gate_proj", n2, i, h, roles["gate_proj"], Bias("gate_proj.bias"));
        var up = Linear(b, x, "up_proj", n2, i, h, roles["up_proj"], Bias("up_proj.bias"));
        var act = b.Tensor("silu(gate)", Extent.Tokens(a * i));
        b.Op("silu", [gate], [act], saved: [gate]);
        var prod = b.Tensor("silu(gate)·up", Extent.Tokens(a * i));
        b.Op("mul", [act, up], [prod], saved: [act, up]);
        var down = Linear(b, x, "down_proj", prod, h, i, roles["down_proj"], Bias("down_proj.bias"));
        var h2 = b.Tensor("hidden", Extent.Tokens(r * h));
        b.Op("residual add (mlp)", [h1, down], [h2], passThroughGrad: true);
        return b.Build(h2);
    }

    static OpGraph BuildHead(Context x)
    {
        var c = x.C;
        long h = c.HiddenSize, v = c.VocabSize, a = x.A;
        var b = new GraphBuilder("head");
        var norm = b.Param("norm");
        var lmHead = b.Param(c.TieWordEmbeddings ? "embed_tokens (tied lm_head)" : "lm_head");
        var input = b.Input("hidden", Extent.Tokens(x.R * h));
        var n = Norm(b, x, "norm", input, norm);
        var logits = Linear(b, x, "lm_head", n, v, h, lmHead, null);
        var lossInput = logits;
        if (x.F.UpcastLogits && a != 4)
        {
            lossInput = b.Tensor("logits float32", Extent.Tokens(4 * v));
            b.Op("logits.float()", [logits], [lossInput]);
        }
        var logProbs = b.Tensor("log_softmax", Extent.Tokens(4 * v));
        b.Op("log_softmax", [lossInput], [logProbs], saved: [logProbs]);
        var loss = b.Tensor("loss", Extent.Fixed(4));
        b.Op("nll_loss", [logProbs], [loss]);
        return b.Build(null);
    }

    /// <summary>RMSNorm (Zhang &amp; Sennrich 2019, arXiv 1910.07467) as the flavour implements it.</summary>
    static GraphTensor Norm(GraphBuilder b, Context x, string name, GraphTensor input, ParamRole weight)
    {
        long h = x.C.HiddenSize, a = x.A, r = x.R;
        bool fused = x.F.Norm == NormStyle.SavesInputAndRstd;
        var rstd = b.Tensor($"{name} 1/rms", Extent.Tokens(4), requiresGrad: !fused);
        if (fused)
        {
            // Fused: out = w · x / rms(x) computed in float32 chunks, written in the activation dtype.
            var outF = b.Tensor($"{name} out", Extent.Tokens(a * h));
            // Float32 row blocks of at most NormBlockBytes each, NormBlocksAlive at once (whole rows per block).
            long rowsPerBlock = Math.Max(1, KernelBudget.NormBlockBytes / (4 * h));
            var scratch = Extent.TokensUpTo(KernelBudget.NormBlocksAlive * 4 * h, KernelBudget.NormBlocksAlive * rowsPerBlock * 4 * h);
            b.Op(name, [input], [outF, rstd], saved: [input, rstd], parameters: [weight], forwardScratch: scratch, backwardScratch: scratch);
            return outF;
        }
        // transformers' LlamaRMSNorm: x32 = x.float(); rstd = rsqrt(mean(x32²)+eps); y = w * (x32*rstd).to(dtype).
        // Under autocast (mixed) the input is float32 already and the output stays float32.
        long outBytes = r;
        var x32 = r == 4 ? input : b.Tensor($"{name} input float32", Extent.Tokens(4 * h));
        var normalized = b.Tensor($"{name} normalized", Extent.Tokens(outBytes * h));
        var o = b.Tensor($"{name} out", Extent.Tokens(outBytes * h));
        if (x32 != input) b.Op($"{name} upcast", [input], [x32]);
        b.Op($"{name} rsqrt(mean(x²))", [x32], [rstd], saved: [x32, rstd], forwardScratch: Extent.Tokens(4 * h));
        var normalized32 = r == 4 ? normalized : b.Tensor($"{name} normalized float32", Extent.Tokens(4 * h));
        b.Op($"{name} x·rstd", [x32, rstd], [normalized32], saved: [x32, rstd]);
        if (normalized32 != normalized) b.Op($"{name} downcast", [normalized32], [normalized]);
        b.Op($"{name} ·weight", [normalized], [o], saved: [normalized], parameters: [weight]);
        return o;
    }

    /// <summary>nn.Linear: y = x·Wᵀ (+ b). Saves x (for dW) and W (for dx). Under autocast the weight — and,
    /// in the reference, a float32 input — is first cast to BF16, and the casts are what is saved.</summary>
    static GraphTensor Linear(GraphBuilder b, Context x, string name, GraphTensor input, long outFeatures, long inFeatures,
        ParamRole weight, ParamRole? bias)
    {
        var inputs = new List<GraphTensor>();
        var ps = new List<ParamRole>();
        var xin = input;
        if (x.CastWeights && input.Size.PerToken == 4 * inFeatures)
        {
            xin = b.Tensor($"{name} input bf16", Extent.Tokens(2 * inFeatures));
            b.Op($"autocast {name} input", [input], [xin]);
        }
        inputs.Add(xin);
        if (x.CastWeights)
        {
            var wb = b.Tensor($"{name}.weight bf16", Extent.Fixed(2 * outFeatures * inFeatures));
            b.Op($"autocast {name}.weight", [], [wb], parameters: [weight]);
            inputs.Add(wb);
        }
        else ps.Add(weight);
        if (bias is { } bi) ps.Add(bi);
        var y = b.Tensor($"{name} out", Extent.Tokens(x.A * outFeatures));
        b.Op(name, inputs.ToArray(), [y], saved: inputs.ToArray(), parameters: ps.ToArray());
        return y;
    }

    /// <summary>Rotary embedding (Su et al. 2021, arXiv 2104.09864) as HF writes it: x·cos + rotate_half(x)·sin.
    /// Only cos/sin are saved; the products and the rotated copy are scratch.</summary>
    static GraphTensor Rotary(GraphBuilder b, Context x, string name, GraphTensor input, long width)
    {
        var y = b.Tensor($"{name} rotated", Extent.Tokens(x.A * width));
        var scratch = Extent.Tokens(5 * x.A * width / 2); // x·cos, -x₂, cat(-x₂, x₁), then ·sin
        b.Op($"rotary {name}", [input], [y], forwardScratch: scratch, backwardScratch: Extent.Tokens(2 * x.A * width));
        return y;
    }

    /// <summary>Fused attention: saves q, k, v, the output and a float32 log-sum-exp per query and head. On CUDA the
    /// output is laid out (B, T, heads, d), so merging heads is a view; the CPU kernel returns (B, heads, T, d) and
    /// the merge copies it (the copy is what o_proj saves).</summary>
    static GraphTensor FusedAttention(GraphBuilder b, long a, long q, long nh, GraphTensor qT, GraphTensor kT, GraphTensor vT, bool host)
    {
        var o = b.Tensor("attention out", Extent.Tokens(a * q));
        var lse = b.Tensor("attention logsumexp", Extent.Tokens(4 * nh), requiresGrad: false);
        b.Op("scaled_dot_product_attention", [qT, kT, vT], [o, lse], saved: [qT, kT, vT, o, lse],
            backwardScratch: Extent.Tokens(4 * q + 4 * nh)); // float32 dq accumulator and softmax row sums
        if (!host) return o;
        var merged = b.Tensor("attention out (heads merged)", Extent.Tokens(a * q));
        b.Op("transpose(1,2).reshape", [o], [merged]);
        return merged;
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
}
