using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models.Layout;

namespace GaLore.Planner.Models.Families;

/// <summary>
/// The Llama decoder (<c>LlamaForCausalLM</c>; Touvron et al. 2023, arXiv 2302.13971) and the two families that
/// share its block: Mistral (<c>MistralForCausalLM</c>, grouped-query attention) and Qwen2 (<c>Qwen2ForCausalLM</c>,
/// q/k/v biases). Pre-norm blocks h₁ = x + attn(RMSNorm(x)), h₂ = h₁ + mlp(RMSNorm(h₁)) with rotary attention and a
/// SwiGLU MLP; a final RMSNorm and lm_head (tied to the embedding when <c>tie_word_embeddings</c>).
/// Config defaults follow <c>LlamaConfig</c>, <c>MistralConfig</c> and <c>Qwen2Config</c>: <c>num_key_value_heads</c>
/// defaults to the query heads, <c>head_dim</c> to hidden / heads, <c>tie_word_embeddings</c> to false; Qwen2 always has
/// q/k/v biases and no o_proj bias; Llama's <c>attention_bias</c> puts biases on q, k, v and o, <c>mlp_bias</c> on the MLP.
/// </summary>
public sealed class LlamaFamily(LlamaFamily.Variant variant) : ModelFamily
{
    /// <summary>The three <c>model_type</c> values this block serves.</summary>
    public enum Variant { Llama, Mistral, Qwen2 }

    public override string ModelType => variant switch
    {
        Variant.Llama => "llama",
        Variant.Mistral => "mistral",
        Variant.Qwen2 => "qwen2",
        _ => throw new InvalidOperationException($"unknown Llama variant {variant}"),
    };

    public override string Summary => variant switch
    {
        Variant.Llama => "RMSNorm pre-norm, rotary attention (GQA optional, attention_bias, mlp_bias), SwiGLU MLP",
        Variant.Mistral => "the Llama block with grouped-query attention (sliding window not modelled: full attention)",
        Variant.Qwen2 => "the Llama block with q/k/v biases",
        _ => throw new InvalidOperationException($"unknown Llama variant {variant}"),
    };

    /// <summary>Embedding of a Llama-style decoder: the token table and the rotary cos/sin tables.</summary>
    /// <param name="Hidden">h.</param>
    /// <param name="HeadDim">Width of the rotary tables.</param>
    public sealed record EmbeddingDesign(long Hidden, long HeadDim) : PartDesign(PartKind.Embedding);

    /// <summary>One Llama block.</summary>
    public sealed record BlockDesign(long Hidden, long Intermediate, long Heads, long KeyValueHeads, long HeadDim,
        bool QkvBias, bool OutputBias, bool MlpBias) : PartDesign(PartKind.Block)
    {
        /// <summary>heads × head_dim.</summary>
        public long QueryDim => Heads * HeadDim;

        /// <summary>kv_heads × head_dim.</summary>
        public long KeyValueDim => KeyValueHeads * HeadDim;
    }

    /// <summary>Final RMSNorm, lm_head (the embedding when tied) and the loss.</summary>
    public sealed record HeadDesign(long Hidden, long Vocab, bool Tied) : PartDesign(PartKind.Head);

    public override ModelConfig Parse(HfConfigReader r)
    {
        int hidden = r.Int("hidden_size");
        int heads = r.Int("num_attention_heads");
        bool attentionBias = r.OptionalBool("attention_bias") ?? false;
        bool qwen = variant == Variant.Qwen2;
        return new ModelConfig(
            r.Name, this,
            r.Int("vocab_size"), hidden, r.Int("intermediate_size"), r.Int("num_hidden_layers"), heads,
            r.OptionalInt("num_key_value_heads") ?? heads,
            r.OptionalInt("head_dim") ?? (heads > 0 ? hidden / heads : 0),
            TieWordEmbeddings: r.OptionalBool("tie_word_embeddings") ?? false,
            QkvBias: qwen || attentionBias,
            OutputBias: !qwen && attentionBias,
            MlpBias: variant == Variant.Llama && (r.OptionalBool("mlp_bias") ?? false),
            MaxPositionEmbeddings: r.OptionalInt("max_position_embeddings") ?? 4096);
    }

    public override void Validate(ModelConfig c)
    {
        c.RequireUnset();
        if (c.HeadDim % 2 != 0)
            throw new PlannerInputException($"model '{c.Name}': head_dim ({c.HeadDim}) must be even for rotary embeddings");
    }

    public override ModelLayout Layout(ModelConfig c)
    {
        long h = c.HiddenSize, i = c.IntermediateSize, q = c.QueryDim, kv = c.KeyValueDim, v = c.VocabSize;
        var b = new LayoutBuilder(c);
        int embed = b.Param("embed_tokens", new("model.embed_tokens.weight", "model.embed_tokens", TensorKind.Embedding, -1, v, h)); // V × h
        b.EndPart(new EmbeddingDesign(h, c.HeadDim));
        var block = new BlockDesign(h, i, c.NumHeads, c.NumKeyValueHeads, c.HeadDim, c.QkvBias, c.OutputBias, c.MlpBias);
        for (int l = 0; l < c.NumLayers; l++)
        {
            string p = $"model.layers.{l}";
            void Linear(string role, string module, TensorKind kind, long rows, long cols, bool bias)
            {
                b.Param(role, new($"{p}.{module}.weight", $"{p}.{module}", kind, l, rows, cols));
                if (bias) b.Param(role + ".bias", new($"{p}.{module}.bias", $"{p}.{module}", TensorKind.Bias, l, rows, 1));
            }
            b.Param("input_layernorm", new($"{p}.input_layernorm.weight", $"{p}.input_layernorm", TensorKind.Norm, l, h, 1)); // h
            Linear("q_proj", "self_attn.q_proj", TensorKind.AttentionProjection, q, h, c.QkvBias);    // (heads·d) × h
            Linear("k_proj", "self_attn.k_proj", TensorKind.AttentionProjection, kv, h, c.QkvBias);   // (kv_heads·d) × h
            Linear("v_proj", "self_attn.v_proj", TensorKind.AttentionProjection, kv, h, c.QkvBias);   // (kv_heads·d) × h
            Linear("o_proj", "self_attn.o_proj", TensorKind.AttentionProjection, h, q, c.OutputBias); // h × (heads·d)
            b.Param("post_attention_layernorm", new($"{p}.post_attention_layernorm.weight", $"{p}.post_attention_layernorm", TensorKind.Norm, l, h, 1)); // h
            Linear("gate_proj", "mlp.gate_proj", TensorKind.MlpProjection, i, h, c.MlpBias);          // i × h
            Linear("up_proj", "mlp.up_proj", TensorKind.MlpProjection, i, h, c.MlpBias);              // i × h
            Linear("down_proj", "mlp.down_proj", TensorKind.MlpProjection, h, i, c.MlpBias);          // h × i
            b.EndPart(block, l);
        }
        b.Param("norm", new("model.norm.weight", "model.norm", TensorKind.Norm, -1, h, 1));         // h
        if (c.TieWordEmbeddings) b.Share("lm_head", embed);
        else b.Param("lm_head", new("lm_head.weight", "lm_head", TensorKind.LmHead, -1, v, h));      // V × h
        b.EndPart(new HeadDesign(h, v, c.TieWordEmbeddings));
        return b.Build();
    }

    public override OpGraph Graph(PartDesign design, GraphContext x) => design switch
    {
        EmbeddingDesign e => Embedding(e, x),
        BlockDesign d => Block(d, x),
        HeadDesign d => Head(d, x),
        _ => throw new ArgumentException($"{ModelType} has no part design {design.GetType().Name}", nameof(design)),
    };

    static OpGraph Embedding(EmbeddingDesign d, GraphContext x)
    {
        var b = new GraphBuilder("embedding");
        var embed = b.Param("embed_tokens");
        var h0 = b.Tensor("hidden", Extent.Tokens(x.ResidualBytes * d.Hidden));
        // cos/sin [b, s, head_dim] in the activation dtype, read by every block's rotary op until backward ends.
        var rope = b.Tensor("rope cos/sin", Extent.Tokens(2 * x.ActivationBytes * d.HeadDim), requiresGrad: false);
        b.Op("embed_tokens", [], [h0, rope], saved: [rope], parameters: [embed]);
        return b.Build(h0);
    }

    static OpGraph Block(BlockDesign d, GraphContext x)
    {
        long h = d.Hidden, i = d.Intermediate, q = d.QueryDim, kv = d.KeyValueDim;
        var b = new GraphBuilder("block");
        var norm1 = b.Param("input_layernorm");
        var (qw, qb) = Linear(b, "q_proj", d.QkvBias);
        var (kw, kb) = Linear(b, "k_proj", d.QkvBias);
        var (vw, vb) = Linear(b, "v_proj", d.QkvBias);
        var (ow, ob) = Linear(b, "o_proj", d.OutputBias);
        var norm2 = b.Param("post_attention_layernorm");
        var (gw, gb) = Linear(b, "gate_proj", d.MlpBias);
        var (uw, ub) = Linear(b, "up_proj", d.MlpBias);
        var (dw, db) = Linear(b, "down_proj", d.MlpBias);

        var input = b.Input("hidden", Extent.Tokens(x.ResidualBytes * h));
        var n1 = GraphParts.RmsNorm(b, x, "input_layernorm", input, h, norm1);
        var qOut = GraphParts.Linear(b, x, "q_proj", n1, q, h, qw, qb);
        var kOut = GraphParts.Linear(b, x, "k_proj", n1, kv, h, kw, kb);
        var vOut = GraphParts.Linear(b, x, "v_proj", n1, kv, h, vw, vb);
        var attnOut = GraphParts.RotaryAttention(b, x, d.Heads, d.KeyValueHeads, q, kv, qOut, kOut, vOut);
        var oOut = GraphParts.Linear(b, x, "o_proj", attnOut, h, q, ow, ob);
        var h1 = GraphParts.ResidualAdd(b, x, "attention", "hidden after attention", input, oOut, h);

        var n2 = GraphParts.RmsNorm(b, x, "post_attention_layernorm", h1, h, norm2);
        var gate = GraphParts.Linear(b, x, "gate_proj", n2, i, h, gw, gb);
        var up = GraphParts.Linear(b, x, "up_proj", n2, i, h, uw, ub);
        var prod = GraphParts.SwiGlu(b, x, gate, up, i);
        var down = GraphParts.Linear(b, x, "down_proj", prod, h, i, dw, db);
        var h2 = GraphParts.ResidualAdd(b, x, "mlp", "hidden", h1, down, h);
        return b.Build(h2);
    }

    static (ParamRole Weight, ParamRole? Bias) Linear(GraphBuilder b, string role, bool bias) =>
        (b.Param(role), bias ? b.Param(role + ".bias") : null);

    static OpGraph Head(HeadDesign d, GraphContext x)
    {
        var b = new GraphBuilder("head");
        var norm = b.Param("norm");
        var lmHead = b.Param("lm_head");
        var input = b.Input("hidden", Extent.Tokens(x.ResidualBytes * d.Hidden));
        var n = GraphParts.RmsNorm(b, x, "norm", input, d.Hidden, norm);
        var logits = GraphParts.Linear(b, x, "lm_head", n, d.Vocab, d.Hidden, lmHead, null);
        GraphParts.CrossEntropy(b, x, logits, d.Vocab);
        return b.Build(null);
    }
}
