using GaLore.Planner.Models;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Memory.Graph;

/// <summary>How a norm computes, as each family's modeling file writes it.</summary>
public enum NormKind
{
    /// <summary><c>LlamaRMSNorm</c> (Qwen3, Phi-3): x32 = x.float(), x32·rsqrt(mean(x32²)+ε) cast back to x's dtype, then ·w.</summary>
    Rms,
    /// <summary><c>Gemma2RMSNorm</c> (x̂·(1 + w)) and <c>Olmo2RMSNorm</c> (w·x̂): the scale multiplies in float32 and the cast
    /// back comes last, so the float32 x̂ is what the multiply saves.</summary>
    RmsScaledInFloat32,
    /// <summary><c>nn.LayerNorm</c> with weight and bias (GPT-2, GPT-NeoX): one native op saving its input, mean and 1/σ.</summary>
    LayerNorm,
}

// The pieces the dense decoders add (src/Planner/Models/Families/DecoderGraph.cs composes them). Sizes per token:
// a = activation bytes, r = residual bytes; "e" is the element size of the tensor an op reads.
public static partial class GraphParts
{
    /// <summary>
    /// A norm of <paramref name="kind"/> over rows of <paramref name="width"/> / <paramref name="groups"/> elements
    /// (<paramref name="groups"/> = heads for a per-head q/k norm), reading elements of <paramref name="elementBytes"/>.
    /// RMS norms run as the runtime's norm (<see cref="GraphFlavor.Norm"/>): the fused one writes the activation dtype and
    /// keeps its input and 1/rms; Hugging Face's upcasts (Zhang &amp; Sennrich 2019, arXiv 1910.07467). A LayerNorm (Ba et al.
    /// 2016, arXiv 1607.06450) is <c>torch.nn.functional.layer_norm</c> on both runtimes; autocast runs it in float32.
    /// </summary>
    public static GraphTensor Norm(GraphBuilder b, GraphContext x, NormKind kind, string name, GraphTensor input, long elementBytes,
        long width, long groups, ParamRole weight, ParamRole? bias = null)
    {
        if (kind == NormKind.LayerNorm) return LayerNorm(b, x, name, input, elementBytes, width, weight, bias!);
        if (x.Flavor.Norm == NormStyle.SavesInputAndRstd) return FusedRms(b, x, name, input, width, groups, weight);
        long e = elementBytes;
        var x32 = e == 4 ? input : b.Tensor($"{name} input float32", Extent.Tokens(4 * width));
        if (x32 != input) b.Op($"{name} .float()", [input], [x32]);
        var rstd = b.Tensor($"{name} 1/rms", Extent.Tokens(4 * groups));
        b.Op($"{name} rsqrt(mean(x²))", [x32], [rstd], saved: [x32, rstd], forwardScratch: Extent.Tokens(4 * width));
        var normalized32 = b.Tensor($"{name} x·rstd float32", Extent.Tokens(4 * width));
        b.Op($"{name} x·rstd", [x32, rstd], [normalized32], saved: [x32, rstd]);
        if (kind == NormKind.Rms)
        {
            // LlamaRMSNorm: weight * hidden_states.to(input_dtype).
            var normalized = normalized32;
            if (e != 4)
            {
                normalized = b.Tensor($"{name} normalized", Extent.Tokens(e * width));
                b.Op($"{name} .to(dtype)", [normalized32], [normalized]);
            }
            var o = b.Tensor($"{name} out", Extent.Tokens(e * width));
            b.Op($"{name} ·weight", [normalized], [o], saved: [normalized], parameters: [weight]);
            return o;
        }
        // Gemma2RMSNorm: (x̂ * (1 + w.float())).type_as(x); Olmo2RMSNorm: (w * x̂).to(input_dtype).
        var scaled = b.Tensor($"{name} ·weight float32", Extent.Tokens(4 * width));
        b.Op($"{name} ·weight", [normalized32], [scaled], saved: [normalized32], parameters: [weight]);
        if (e == 4) return scaled;
        var cast = b.Tensor($"{name} out", Extent.Tokens(e * width));
        b.Op($"{name} .to(dtype)", [scaled], [cast]);
        return cast;
    }

    /// <summary>This project's fused RMSNorm (<c>FusedRmsNormFunction</c>) over rows of width / groups: keeps its input
    /// and 1/rms per row, writes the activation dtype, and works in float32 blocks of whole rows.</summary>
    static GraphTensor FusedRms(GraphBuilder b, GraphContext x, string name, GraphTensor input, long width, long groups, ParamRole weight)
    {
        long row = width / groups;
        var outF = b.Tensor($"{name} out", Extent.Tokens(x.ActivationBytes * width));
        var rstd = b.Tensor($"{name} 1/rms", Extent.Tokens(4 * groups), requiresGrad: false);
        long rowsPerBlock = Math.Max(1, KernelBudget.NormBlockBytes / (4 * row));
        var scratch = Extent.TokensUpTo(KernelBudget.NormBlocksAlive * 4 * width, KernelBudget.NormBlocksAlive * rowsPerBlock * 4 * row);
        b.Op(name, [input], [outF, rstd], saved: [input, rstd], parameters: [weight], forwardScratch: scratch, backwardScratch: scratch);
        return outF;
    }

    /// <summary><c>layer_norm(x, (h,), w, b)</c>: saves x and float32 mean and 1/σ per token; the output has x's dtype.
    /// Under autocast (mixed precision) layer_norm runs in float32: a lower-precision input is cast first, and the cast
    /// is what it saves.</summary>
    static GraphTensor LayerNorm(GraphBuilder b, GraphContext x, string name, GraphTensor input, long e, long width, ParamRole weight, ParamRole bias)
    {
        var xin = input;
        if (x.CastsWeights && e != 4)
        {
            xin = b.Tensor($"{name} input float32", Extent.Tokens(4 * width));
            b.Op($"autocast {name} input", [input], [xin]);
            e = 4;
        }
        var o = b.Tensor($"{name} out", Extent.Tokens(e * width));
        var stats = b.Tensor($"{name} mean, 1/σ", Extent.Tokens(8), requiresGrad: false);
        b.Op(name, [xin], [o, stats], saved: [xin, stats], parameters: [weight, bias]);
        return o;
    }

    /// <summary>
    /// <c>nn.functional.dropout(x, p, training=True)</c> (Srivastava et al. 2014, JMLR 15). On CUDA it is
    /// <c>native_dropout</c>, which saves a bool mask (1 byte per element); libtorch's CPU path
    /// (<c>at::native::dropout</c> → <c>_dropout_impl</c>) draws the noise as a tensor of x's dtype, scales it by 1/(1−p) and
    /// multiplies, so the multiplication saves the noise. p = 0 returns x itself (no op).
    /// </summary>
    public static GraphTensor Dropout(GraphBuilder b, GraphContext x, string name, GraphTensor input, long elementBytes, double p)
    {
        if (p == 0) return input;
        var o = b.Tensor($"{name} out", input.Size);
        long elements = input.Size.PerToken / elementBytes, perPosition = input.Size.PerTokenSeq / elementBytes;
        long maskBytes = x.Flavor.HostKernels ? elementBytes : 1;
        var mask = b.Tensor($"{name} mask", new Extent(0, maskBytes * elements, maskBytes * perPosition), requiresGrad: false);
        b.Op(name, [input], [o, mask], saved: [mask]);
        return o;
    }

    /// <summary>Gemma's soft-cap c·tanh(x / c) as three elementwise ops (<c>x / c</c>, <c>tanh</c> — which saves its output —
    /// and <c>· c</c>), each a new tensor of x's size (Gemma 2 report, arXiv 2408.00118, §2).</summary>
    public static GraphTensor SoftCap(GraphBuilder b, string name, GraphTensor input)
    {
        var divided = b.Tensor($"{name} / cap", input.Size);
        b.Op($"{name} / cap", [input], [divided]);
        var tanh = b.Tensor($"{name} tanh", input.Size);
        b.Op($"{name} tanh", [divided], [tanh], saved: [tanh]);
        var capped = b.Tensor($"{name} · cap", input.Size);
        b.Op($"{name} · cap", [tanh], [capped]);
        return capped;
    }

    /// <summary>
    /// The MLP activation on (B, T, <paramref name="width"/>) in the activation dtype. SiLU, GELU and GELU-tanh are one op
    /// saving its input (<c>silu</c>, <c>gelu</c>, <c>gelu(approximate="tanh")</c>); <c>gelu_new</c>
    /// (<c>transformers.activations.NewGELUActivation</c>) is Python arithmetic, so autograd keeps 0.5·x, tanh(·) and
    /// 1 + tanh(·) besides x (Hendrycks &amp; Gimpel 2016, arXiv 1606.08415, the tanh approximation).
    /// </summary>
    public static GraphTensor Activation(GraphBuilder b, GraphContext x, string name, GraphTensor input, long width, HiddenActivation act)
    {
        var size = Extent.Tokens(x.ActivationBytes * width);
        if (act != HiddenActivation.GeluNew)
        {
            var y = b.Tensor($"{act.Name()}({name})", size);
            b.Op(act.Name(), [input], [y], saved: [input]);
            return y;
        }
        // 0.5 * x * (1.0 + tanh(sqrt(2/π) * (x + 0.044715 * pow(x, 3.0)))), evaluated left to right.
        var half = b.Tensor("0.5·x", size);
        b.Op("gelu_new 0.5·x", [input], [half]);
        var cube = b.Tensor("x³", size);
        b.Op("gelu_new pow(x, 3)", [input], [cube], saved: [input]);
        var cubeScaled = b.Tensor("0.044715·x³", size);
        b.Op("gelu_new 0.044715·x³", [cube], [cubeScaled]);
        var inner = b.Tensor("x + 0.044715·x³", size);
        b.Op("gelu_new x + …", [input, cubeScaled], [inner]);
        var scaledInner = b.Tensor("√(2/π)·(…)", size);
        b.Op("gelu_new √(2/π)·(…)", [inner], [scaledInner]);
        var tanh = b.Tensor("tanh(…)", size);
        b.Op("gelu_new tanh", [scaledInner], [tanh], saved: [tanh]);
        var onePlus = b.Tensor("1 + tanh(…)", size);
        b.Op("gelu_new 1 + tanh", [tanh], [onePlus]);
        var output = b.Tensor("gelu_new(x)", size);
        b.Op("gelu_new 0.5·x·(1 + tanh)", [half, onePlus], [output], saved: [half, onePlus]);
        return output;
    }

    /// <summary>A gated MLP's product act(gate)·up (SwiGLU, GeGLU: Shazeer 2020, arXiv 2002.05202): the activation saves gate
    /// (or keeps its base, for a chunk of a fused projection), the product saves act(gate) and up.</summary>
    public static GraphTensor GatedProduct(GraphBuilder b, GraphContext x, HiddenActivation act, GraphTensor gate, GraphTensor up, long width)
    {
        var activated = Activation(b, x, "gate", gate, width, act);
        var product = b.Tensor($"{act.Name()}(gate)·up", Extent.Tokens(x.ActivationBytes * width));
        b.Op("mul", [activated, up], [product], saved: [activated, up]);
        return product;
    }

    /// <summary><c>torch.split</c>/<c>chunk</c> of <paramref name="source"/> into views of the given per-token sizes: no memory
    /// in forward; backward concatenates the parts' gradients into one of the source's size (SplitBackward).</summary>
    public static GraphTensor[] Split(GraphBuilder b, string name, GraphTensor source, params (string Name, long BytesPerToken)[] parts)
    {
        var views = new GraphTensor[parts.Length];
        for (int k = 0; k < parts.Length; k++) views[k] = b.View(parts[k].Name, source, Extent.Tokens(parts[k].BytesPerToken));
        b.Op(name, [source], views);
        return views;
    }

    /// <summary>A basic-indexing slice <c>x[..., a:b]</c>: a view; its backward writes the part's gradient into a zero tensor
    /// of the source's size (SliceBackward), so each slice's gradient costs a full-size tensor until they are summed.</summary>
    public static GraphTensor Slice(GraphBuilder b, string name, GraphTensor source, long bytesPerToken)
    {
        var view = b.View(name, source, Extent.Tokens(bytesPerToken));
        b.Op($"slice {name}", [source], [view]);
        return view;
    }

    /// <summary>
    /// Rotary embedding over the first <paramref name="rotaryWidth"/> of each head's d (GPT-NeoX's partial rotary,
    /// <c>rotary_pct</c>): the rotated part is computed as <see cref="Rotary"/> does, then concatenated with the untouched
    /// rest (<c>torch.cat([q_embed, q_pass])</c>), a new tensor of the full width.
    /// </summary>
    public static GraphTensor PartialRotary(GraphBuilder b, GraphContext x, string name, GraphTensor input, long width, long heads, long rotaryWidth)
    {
        long a = x.ActivationBytes, rot = heads * rotaryWidth;
        var part = Rotary(b, x, $"{name}[..., :rotary]", input, rot);
        var y = b.Tensor($"{name} rotated", Extent.Tokens(a * width));
        b.Op($"cat({name} rotated, pass)", [part, input], [y]);
        return y;
    }

    /// <summary>
    /// OLMo-2's rotary embedding: the cos/sin tables are float32, so q·cos and rotate_half(q)·sin promote to float32, their
    /// sum is float32 and <c>.to(q.dtype)</c> casts it back (<c>modeling_olmo2.apply_rotary_pos_emb</c>). Nothing
    /// activation-sized is saved (cos and sin are the tables).
    /// </summary>
    public static GraphTensor Float32Rotary(GraphBuilder b, GraphContext x, string name, GraphTensor input, long width)
    {
        long a = x.ActivationBytes;
        if (a == 4) return Rotary(b, x, name, input, width);
        // The float32 sum is made while x·cos and rotate_half(x)·sin (4 bytes each) are alive; then it is cast back.
        var sum = b.Tensor($"{name} rotated float32", Extent.Tokens(4 * width));
        b.Op($"rotary {name} (float32)", [input], [sum], forwardScratch: Extent.Tokens(8 * width), backwardScratch: Extent.Tokens(8 * width + 2 * a * width));
        var y = b.Tensor($"{name} rotated", Extent.Tokens(a * width));
        b.Op($"rotary {name} .to(dtype)", [sum], [y]);
        return y;
    }
}

/// <summary>What one attention call needs beyond q, k and v.</summary>
/// <param name="Heads">Query heads.</param>
/// <param name="QueryWidth">heads × d.</param>
/// <param name="Gpt2Eager">Under <see cref="AttentionKind.Math"/>, GPT-2's own eager attention instead of the generic
/// <c>eager_attention_forward</c>.</param>
/// <param name="Softcap">Score soft-cap under eager attention (Gemma-2); SDPA ignores it.</param>
/// <param name="Dropout">Dropout on the probabilities in training.</param>
/// <param name="WindowMask">SDPA gets a sliding-window mask (a sliding layer on sequences of at least the window).</param>
/// <param name="HeadsMajorQuery">The query reaches attention contiguous as (B, heads, T, d) — a partial rotary's cat — rather
/// than as the transposed view of the projection (see <c>HostMerge</c>).</param>
public readonly record struct AttentionCall(long Heads, long QueryWidth, bool Gpt2Eager, bool Softcap, double Dropout, bool WindowMask,
    bool HeadsMajorQuery = false);

public static partial class GraphParts
{
    /// <summary>
    /// Attention for the dense decoders: SDPA (fused; with a float copy of a boolean window mask, which
    /// <c>scaled_dot_product_attention</c> converts and the kernel saves; on the CPU with dropout, libtorch's composite
    /// math path) or the family's eager attention. Returns the heads merged, (B, T, heads·d).
    /// </summary>
    public static GraphTensor DecoderAttention(GraphBuilder b, GraphContext x, AttentionCall call, GraphTensor q, GraphTensor k, GraphTensor v)
    {
        long a = x.ActivationBytes;
        if (x.Attention == AttentionKind.Sdpa)
        {
            if (call.Dropout > 0 && x.Flavor.HostKernels) return HostSdpaWithDropout(b, x, call, q, k, v);
            if (!call.WindowMask) return HostMerge(b, x, call, FusedAttention(b, a, call.QueryWidth, call.Heads, q, k, v));
            // transformers passes the window as a boolean (B, 1, T, S) mask; SDPA converts it to a float mask in q's dtype
            // (convert_boolean_attn_mask), which the kernel keeps for backward.
            var bias = b.Tensor("sdpa float mask", Extent.TokensBySeq(a), requiresGrad: false);
            b.Op("sdpa mask → float", [], [bias], forwardScratch: Extent.TokensBySeq(1));
            var o = b.Tensor("attention out", Extent.Tokens(a * call.QueryWidth));
            var lse = b.Tensor("attention logsumexp", Extent.Tokens(4 * call.Heads), requiresGrad: false);
            b.Op("scaled_dot_product_attention (masked)", [q, k, v, bias], [o, lse], saved: [q, k, v, o, lse, bias],
                backwardScratch: Extent.Tokens(4 * call.QueryWidth + 4 * call.Heads));
            return HostMerge(b, x, call, o);                      // (B, T, heads, d) underneath: merging the heads is a view
        }
        return call.Gpt2Eager ? Gpt2Eager(b, x, call, q, k, v) : GenericEager(b, x, call, q, k, v);
    }

    /// <summary>
    /// The heads merged from a fused attention's output. libtorch's CPU flash kernel allocates its output with the query's
    /// strides (measured on libtorch 2.10: a query that is a (B, T, heads, d) tensor transposed gives an output whose
    /// transpose back is contiguous; a query contiguous as (B, heads, T, d) gives an output laid out so too). A partial
    /// rotary's <c>torch.cat([q_embed, q_pass])</c> makes the query contiguous as (B, heads, T, d), so on the CPU merging the
    /// heads (<c>transpose(1, 2).reshape</c>) copies the output; a full rotary is elementwise on the transposed view and
    /// keeps its layout. The CUDA kernels allocate (B, T, heads, d) whatever the query's layout: a view there.
    /// </summary>
    static GraphTensor HostMerge(GraphBuilder b, GraphContext x, AttentionCall call, GraphTensor o)
    {
        if (!(x.Flavor.HostKernels && call.HeadsMajorQuery)) return o;
        var merged = b.Tensor("attention out (heads merged)", Extent.Tokens(x.ActivationBytes * call.QueryWidth));
        b.Op("transpose(1,2).reshape", [o], [merged]);
        return merged;
    }

    /// <summary><c>eager_attention_forward</c>: (q·kᵀ)·scale, Gemma-2's soft-cap, + mask, softmax in float32 (saved),
    /// cast back (saved by ·v, or by the dropout that follows), dropout, ·v, then the transpose made contiguous.</summary>
    static GraphTensor GenericEager(GraphBuilder b, GraphContext x, AttentionCall call, GraphTensor q, GraphTensor k, GraphTensor v)
    {
        long a = x.ActivationBytes, nh = call.Heads;
        bool host = x.Flavor.HostKernels;
        var scores = b.Tensor("attention scores", Extent.TokensBySeq(a * nh));
        if (call.Softcap)
        {
            var scaled = b.Tensor("q·kᵀ·scale", Extent.TokensBySeq(a * nh));
            b.Op("q·kᵀ·scale", [q, k], [scaled], saved: [q, k], forwardScratch: Extent.TokensBySeq(a * nh));
            var capped = SoftCap(b, "attention soft-cap", scaled);
            b.Op("+ mask", [capped], [scores]);
        }
        else b.Op("q·kᵀ·scale + mask", [q, k], [scores], saved: [q, k], forwardScratch: Extent.TokensBySeq(a * nh));
        var probs32 = b.Tensor("softmax float32", Extent.TokensBySeq(4 * nh));
        b.Op("softmax", [scores], [probs32], saved: [probs32], forwardScratch: host && a != 4 ? Extent.TokensBySeq(4 * nh) : Extent.Zero);
        var probs = probs32;
        if (a != 4)
        {
            probs = b.Tensor("softmax", Extent.TokensBySeq(a * nh));
            b.Op("softmax.to(dtype)", [probs32], [probs]);
        }
        probs = Dropout(b, x, "attention dropout", probs, a, call.Dropout);
        return ProbsTimesV(b, a, call.QueryWidth, probs, v);
    }

    /// <summary>GPT-2's <c>eager_attention_forward</c>: q·kᵀ, / √d (a new tensor), <c>torch.where</c> with the layer's causal
    /// buffer, + the model's causal mask, softmax in the scores' dtype (float32 under autocast, then cast back), dropout,
    /// ·v; the transpose is made contiguous by the caller's reshape.</summary>
    static GraphTensor Gpt2Eager(GraphBuilder b, GraphContext x, AttentionCall call, GraphTensor q, GraphTensor k, GraphTensor v)
    {
        long a = x.ActivationBytes, nh = call.Heads;
        var s = Extent.TokensBySeq(a * nh);
        var raw = b.Tensor("q·kᵀ", s);
        b.Op("q·kᵀ", [q, k], [raw], saved: [q, k]);
        var scaled = b.Tensor("q·kᵀ / √d", s);
        b.Op("/ √d", [raw], [scaled]);
        var masked = b.Tensor("where(causal)", s);
        b.Op("torch.where(bias, w, min)", [scaled], [masked]);
        var scores = b.Tensor("+ causal mask", s);
        b.Op("+ causal mask", [masked], [scores]);
        long softmaxBytes = x.CastsWeights ? 4 : a; // autocast runs softmax in float32
        var probs = b.Tensor("softmax", Extent.TokensBySeq(softmaxBytes * nh));
        b.Op("softmax", [scores], [probs], saved: [probs]);
        if (softmaxBytes != a)
        {
            var cast = b.Tensor("softmax.type(v.dtype)", s);
            b.Op("softmax.type(v.dtype)", [probs], [cast]);
            probs = cast;
        }
        probs = Dropout(b, x, "attn_dropout", probs, a, call.Dropout);
        return ProbsTimesV(b, a, call.QueryWidth, probs, v);
    }

    static GraphTensor ProbsTimesV(GraphBuilder b, long a, long queryWidth, GraphTensor probs, GraphTensor v)
    {
        var context = b.Tensor("probs·v", Extent.Tokens(a * queryWidth));
        b.Op("probs·v", [probs, v], [context], saved: [probs, v]);
        var o = b.Tensor("attention out", Extent.Tokens(a * queryWidth));
        b.Op("transpose().contiguous()", [context], [o]);
        return o;
    }

    /// <summary>
    /// <c>scaled_dot_product_attention</c> with dropout on the CPU: libtorch's flash kernel does not take dropout, so
    /// <c>_scaled_dot_product_attention_math</c> runs, in float32 for a lower-precision input (PyTorch ≥ 2.5 keeps the math
    /// path's accumulation in float32): q·√scale and kᵀ·√scale (saved by the matmul), the scores, their softmax (saved), the
    /// dropout noise (saved) and the dropped probabilities (saved by ·v with the float32 v), then the output cast back.
    /// </summary>
    static GraphTensor HostSdpaWithDropout(GraphBuilder b, GraphContext x, AttentionCall call, GraphTensor q, GraphTensor k, GraphTensor v)
    {
        long a = x.ActivationBytes, nh = call.Heads, w = call.QueryWidth;
        var s32 = Extent.TokensBySeq(4 * nh);
        var qs = b.Tensor("sdpa math q·√scale float32", Extent.Tokens(4 * w));
        b.Op("sdpa math q.float()·√scale", [q], [qs], forwardScratch: a == 4 ? Extent.Zero : Extent.Tokens(4 * w));
        var ks = b.Tensor("sdpa math kᵀ·√scale float32", Extent.Tokens(4 * w));
        b.Op("sdpa math k.float()ᵀ·√scale", [k], [ks], forwardScratch: a == 4 ? Extent.Zero : Extent.Tokens(4 * w));
        var vs = a == 4 ? v : b.Tensor("sdpa math v float32", Extent.Tokens(4 * w));
        if (vs != v) b.Op("sdpa math v.float()", [v], [vs]);
        var scores = b.Tensor("sdpa math scores", s32);
        b.Op("sdpa math q·kᵀ + causal", [qs, ks], [scores], saved: [qs, ks]);
        var probs = b.Tensor("sdpa math softmax", s32);
        b.Op("sdpa math _safe_softmax", [scores], [probs], saved: [probs]);
        var dropped = Dropout(b, x, "sdpa math dropout", probs, 4, call.Dropout);
        var o32 = b.Tensor("sdpa math probs·v", Extent.Tokens(4 * w));
        b.Op("sdpa math probs·v", [dropped, vs], [o32], saved: [dropped, vs]);
        var o = o32;
        if (a != 4)
        {
            o = b.Tensor("attention out", Extent.Tokens(a * w));
            b.Op("sdpa math out.to(dtype)", [o32], [o]);
        }
        var merged = b.Tensor("attention out (heads merged)", Extent.Tokens(a * w));
        b.Op("transpose(1,2).reshape", [o], [merged]);
        return merged;
    }
}
