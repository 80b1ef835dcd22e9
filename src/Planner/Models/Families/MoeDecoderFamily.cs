using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models.Layout;

namespace GaLore.Planner.Models.Families;

/// <summary>
/// The decoder shared by the four mixture-of-experts families (<see cref="MixtralFamily"/>, <see cref="Qwen2MoeFamily"/>,
/// <see cref="Qwen3MoeFamily"/>, <see cref="OlmoeFamily"/>): Llama's embedding and head (RMSNorm, lm_head, loss) around
/// pre-norm blocks h₁ = x + attn(RMSNorm(x)), h₂ = h₁ + mlp(RMSNorm(h₁)) whose MLP is a sparse top-k mixture of SwiGLU
/// experts (<see cref="MoeGraphParts"/>) — or, on Qwen's <c>mlp_only_layers</c> and off-step layers, a dense SwiGLU.
/// Each family says what differs: its config fields, its attention (biases, q/k norms) and the names and order of its
/// MoE parameters in each transformers layout (<see cref="MoeLayout"/>).
/// </summary>
public abstract class MoeDecoderFamily : ModelFamily
{
    /// <summary>A block's self-attention: q/k/v/o projections, optional q/k norm, rotary, grouped-query attention.</summary>
    public sealed record AttentionDesign(long Hidden, long Heads, long KeyValueHeads, long HeadDim, bool QkvBias, bool OutputBias,
        QkNormKind QkNorm)
    {
        /// <summary>heads × head_dim.</summary>
        public long QueryDim => Heads * HeadDim;

        /// <summary>kv_heads × head_dim.</summary>
        public long KeyValueDim => KeyValueHeads * HeadDim;
    }

    /// <summary>A block's sparse MLP: a top-k router over SwiGLU experts, plus an always-on shared expert.</summary>
    /// <param name="Hidden">h.</param>
    /// <param name="Experts">Routed experts E.</param>
    /// <param name="TopK">Experts per token k.</param>
    /// <param name="Intermediate">Each expert's width i.</param>
    /// <param name="SharedIntermediate">The shared expert's width (0: none).</param>
    /// <param name="Renormalise">The k routing weights are renormalised (Mixtral always; others by norm_topk_prob).</param>
    /// <param name="FloatCopyBeforeSoftmax">The router softmaxes an explicit float32 copy of its logits (Mixtral 5.x).</param>
    /// <param name="Layout">Which transformers layout (decides the experts' parameters and the version's forward).</param>
    /// <param name="Implementation">5.x's experts implementation (the 4.x layout always loops eagerly).</param>
    public sealed record SparseMlpDesign(long Hidden, int Experts, int TopK, long Intermediate, long SharedIntermediate,
        bool Renormalise, bool FloatCopyBeforeSoftmax, MoeLayout Layout, ExpertsImplementation Implementation);

    /// <summary>One decoder block: attention, then the sparse MLP or (when <paramref name="Sparse"/> is null) a dense SwiGLU of
    /// <paramref name="DenseIntermediate"/>.</summary>
    public sealed record BlockDesign(AttentionDesign Attention, long DenseIntermediate, SparseMlpDesign? Sparse) : PartDesign(PartKind.Block);

    /// <summary>How the family normalises queries and keys.</summary>
    protected abstract QkNormKind QkNorm { get; }

    /// <summary>The sparse block's module under 4.x (Mixtral: <c>block_sparse_moe</c>; 5.x renames it <c>mlp</c>).</summary>
    protected virtual string PerExpertBlockModule => "mlp";

    /// <summary>Each expert's Linear modules under 4.x in registration order, with the role each plays
    /// (<c>gate</c>: the SiLU input, <c>up</c>, <c>down</c>).</summary>
    protected virtual (string Module, string Role)[] PerExpertLinears { get; } =
        [("gate_proj", "gate"), ("up_proj", "up"), ("down_proj", "down")];

    /// <summary>5.x registers <c>experts</c> before <c>gate</c> (Qwen3-MoE's <c>Qwen3MoeSparseMoeBlock.__init__</c>).</summary>
    protected virtual bool FusedExpertsBeforeRouter => false;

    /// <summary>The router renormalises the top-k weights whatever the config says (Mixtral).</summary>
    protected virtual bool AlwaysRenormalises => false;

    /// <summary>5.x's router softmaxes <c>router_logits.float()</c> (Mixtral) instead of passing <c>dtype=torch.float</c>.</summary>
    protected virtual bool FloatCopyBeforeSoftmax => false;

    /// <summary>Reads the fields every MoE family shares into a config, with the family's class defaults.</summary>
    protected ModelConfig ParseCommon(HfConfigReader r, Defaults d, MoeConfig moe, bool qkvBias, bool outputBias)
    {
        r.Reject("quantized bases are not modelled", "quantization_config");
        if (r.OptionalBool("output_router_logits") == true)
            r.Reject("the load-balancing loss (router logits kept, concatenated, softmaxed, one-hot) is not modelled; set it to false",
                "output_router_logits");
        if (r.OptionalDouble("attention_dropout") is > 0)
            r.Reject("attention dropout (its masks) is not modelled; set it to 0", "attention_dropout");
        int hidden = r.OptionalInt("hidden_size") ?? d.Hidden;
        int heads = r.OptionalInt("num_attention_heads") ?? d.Heads;
        var implementation = r.OptionalString("experts_implementation") switch
        {
            null or "grouped_mm" => ExpertsImplementation.GroupedMm,
            "eager" => ExpertsImplementation.Eager,
            string other => throw new PlannerInputException(
                $"model config '{r.Name}': field 'experts_implementation' is not supported: '{other}' is not modelled (use grouped_mm or eager)"),
        };
        return new ModelConfig(
            r.Name, this,
            r.OptionalInt("vocab_size") ?? d.Vocab, hidden, r.OptionalInt("intermediate_size") ?? d.Intermediate,
            r.OptionalInt("num_hidden_layers") ?? d.Layers, heads,
            r.OptionalInt("num_key_value_heads") ?? d.KeyValueHeads ?? heads,
            r.OptionalInt("head_dim") ?? (heads > 0 ? hidden / heads : 0),
            TieWordEmbeddings: r.OptionalBool("tie_word_embeddings") ?? false,
            QkvBias: qkvBias, OutputBias: outputBias, MlpBias: false,
            MaxPositionEmbeddings: r.OptionalInt("max_position_embeddings") ?? d.MaxPositions)
        {
            Moe = moe with { Implementation = implementation },
        };
    }

    /// <summary>A configuration class's defaults for the shared fields (<c>__init__</c> signature of transformers 4.57.6 and
    /// 5.x, the same for these four classes).</summary>
    protected sealed record Defaults(int Vocab, int Hidden, int Intermediate, int Layers, int Heads, int? KeyValueHeads, int MaxPositions);

    public override void Validate(ModelConfig c)
    {
        if (c.Moe is null) throw new PlannerInputException($"model '{c.Name}': a {ModelType} model needs its mixture-of-experts settings");
        if (c.HeadDim % 2 != 0)
            throw new PlannerInputException($"model '{c.Name}': head_dim ({c.HeadDim}) must be even for rotary embeddings");
    }

    /// <summary>The block design of layer <paramref name="layer"/>.</summary>
    BlockDesign DesignOf(ModelConfig c, int layer)
    {
        var m = c.Moe!;
        var attention = new AttentionDesign(c.HiddenSize, c.NumHeads, c.NumKeyValueHeads, c.HeadDim, c.QkvBias, c.OutputBias, QkNorm);
        if (!m.IsSparse(layer)) return new BlockDesign(attention, c.IntermediateSize, null);
        bool fused = m.Layout == MoeLayout.Fused;
        var sparse = new SparseMlpDesign(c.HiddenSize, m.Experts, m.TopK, m.ExpertIntermediateSize, m.SharedExpertIntermediateSize,
            AlwaysRenormalises || m.NormTopKProb, fused && FloatCopyBeforeSoftmax, m.Layout,
            fused ? m.Implementation : ExpertsImplementation.Eager);
        return new BlockDesign(attention, 0, sparse);
    }

    public override ModelLayout Layout(ModelConfig c)
    {
        long h = c.HiddenSize, q = c.QueryDim, kv = c.KeyValueDim, v = c.VocabSize;
        var m = c.Moe ?? throw new PlannerInputException($"model '{c.Name}': a {ModelType} model needs its mixture-of-experts settings");
        var b = new LayoutBuilder(c);
        int embed = b.Param("embed_tokens", new("model.embed_tokens.weight", "model.embed_tokens", TensorKind.Embedding, -1, v, h)); // V × h
        b.EndPart(new LlamaFamily.EmbeddingDesign(h, c.HeadDim));
        for (int l = 0; l < c.NumLayers; l++)
        {
            string p = $"model.layers.{l}";
            int layer = l;
            void Param(string role, string module, string tensor, TensorKind kind, long rows, long cols, long count = 1) =>
                b.Param(role, new($"{p}.{module}.{tensor}", $"{p}.{module}", kind, layer, rows, cols) { Count = count });
            void Linear(string role, string module, TensorKind kind, long rows, long cols, bool bias = false)
            {
                Param(role, module, "weight", kind, rows, cols);
                if (bias) Param(role + ".bias", module, "bias", TensorKind.Bias, rows, 1);
            }
            var design = DesignOf(c, l);
            Linear("q_proj", "self_attn.q_proj", TensorKind.AttentionProjection, q, h, c.QkvBias);    // (heads·d) × h
            Linear("k_proj", "self_attn.k_proj", TensorKind.AttentionProjection, kv, h, c.QkvBias);   // (kv_heads·d) × h
            Linear("v_proj", "self_attn.v_proj", TensorKind.AttentionProjection, kv, h, c.QkvBias);   // (kv_heads·d) × h
            Linear("o_proj", "self_attn.o_proj", TensorKind.AttentionProjection, h, q, c.OutputBias); // h × (heads·d)
            if (QkNorm != QkNormKind.None)
            {
                bool perHead = QkNorm == QkNormKind.PerHead;
                Param("q_norm", "self_attn.q_norm", "weight", TensorKind.Norm, perHead ? c.HeadDim : q, 1);  // d, or heads·d
                Param("k_norm", "self_attn.k_norm", "weight", TensorKind.Norm, perHead ? c.HeadDim : kv, 1); // d, or kv_heads·d
            }
            if (design.Sparse is not { } s)
            {
                long di = design.DenseIntermediate;
                Linear("gate_proj", "mlp.gate_proj", TensorKind.MlpProjection, di, h);                 // i × h
                Linear("up_proj", "mlp.up_proj", TensorKind.MlpProjection, di, h);                     // i × h
                Linear("down_proj", "mlp.down_proj", TensorKind.MlpProjection, h, di);                 // h × i
            }
            else
            {
                long e = s.Experts, i = s.Intermediate;
                if (s.Layout == MoeLayout.Fused)
                {
                    void Router() => Param("gate", "mlp.gate", "weight", TensorKind.Router, e, h);    // E × h
                    if (!FusedExpertsBeforeRouter) Router();
                    Param("experts.gate_up_proj", "mlp.experts", "gate_up_proj", TensorKind.StackedExperts, 2 * i, h, e); // E × 2i × h
                    Param("experts.down_proj", "mlp.experts", "down_proj", TensorKind.StackedExperts, h, i, e);          // E × h × i
                    if (FusedExpertsBeforeRouter) Router();
                }
                else
                {
                    string block = PerExpertBlockModule;
                    Linear("gate", $"{block}.gate", TensorKind.RouterProjection, e, h);                // E × h
                    for (int x = 0; x < e; x++)
                        foreach (var (module, role) in PerExpertLinears)
                        {
                            bool down = role == "down";
                            Linear($"experts.{x}.{role}", $"{block}.experts.{x}.{module}", TensorKind.ExpertProjection,
                                down ? h : i, down ? i : h);                                          // i × h, or h × i
                        }
                }
                if (s.SharedIntermediate > 0)
                {
                    long si = s.SharedIntermediate;
                    Linear("shared_expert.gate_proj", "mlp.shared_expert.gate_proj", TensorKind.MlpProjection, si, h); // is × h
                    Linear("shared_expert.up_proj", "mlp.shared_expert.up_proj", TensorKind.MlpProjection, si, h);     // is × h
                    Linear("shared_expert.down_proj", "mlp.shared_expert.down_proj", TensorKind.MlpProjection, h, si); // h × is
                    Linear("shared_expert_gate", "mlp.shared_expert_gate", TensorKind.RouterProjection, 1, h);         // 1 × h
                }
            }
            Param("input_layernorm", "input_layernorm", "weight", TensorKind.Norm, h, 1);                   // h
            Param("post_attention_layernorm", "post_attention_layernorm", "weight", TensorKind.Norm, h, 1); // h
            b.EndPart(design, l);
        }
        b.Param("norm", new("model.norm.weight", "model.norm", TensorKind.Norm, -1, h, 1));         // h
        if (c.TieWordEmbeddings) b.Share("lm_head", embed);
        else b.Param("lm_head", new("lm_head.weight", "lm_head", TensorKind.LmHead, -1, v, h));      // V × h
        b.EndPart(new LlamaFamily.HeadDesign(h, v, c.TieWordEmbeddings));
        return b.Build();
    }

    public override OpGraph Graph(PartDesign design, GraphContext x) => design switch
    {
        LlamaFamily.EmbeddingDesign or LlamaFamily.HeadDesign => ModelFamilies.Llama.Graph(design, x),
        BlockDesign d => Block(d, x),
        _ => throw new ArgumentException($"{ModelType} has no part design {design.GetType().Name}", nameof(design)),
    };

    static OpGraph Block(BlockDesign d, GraphContext x)
    {
        long h = d.Attention.Hidden;
        var b = new GraphBuilder("block");
        var norm1 = b.Param("input_layernorm");
        var norm2 = b.Param("post_attention_layernorm");
        var input = b.Input("hidden", Extent.Tokens(x.ResidualBytes * h));
        var n1 = GraphParts.RmsNorm(b, x, "input_layernorm", input, h, norm1);
        var attention = Attention(b, x, d.Attention, n1);
        var h1 = GraphParts.ResidualAdd(b, x, "attention", "hidden after attention", input, attention, h);
        var n2 = GraphParts.RmsNorm(b, x, "post_attention_layernorm", h1, h, norm2);
        var mlp = d.Sparse is { } s ? SparseMlp(b, x, s, n2) : DenseMlp(b, x, "", n2, h, d.DenseIntermediate);
        var h2 = GraphParts.ResidualAdd(b, x, "mlp", "hidden", h1, mlp, h);
        return b.Build(h2);
    }

    /// <summary>Self-attention as transformers' <c>&lt;X&gt;Attention.forward</c>: q, k, v projections, the q/k norms
    /// (Qwen3-MoE per head over head_dim, OLMoE over the whole projection), rotary, K/V repeated for grouped-query
    /// attention when the runtime materialises them, attention, o_proj.</summary>
    static GraphTensor Attention(GraphBuilder b, GraphContext x, AttentionDesign d, GraphTensor input)
    {
        long h = d.Hidden, q = d.QueryDim, kv = d.KeyValueDim;
        var qOut = Linear(b, x, "q_proj", input, q, h, d.QkvBias);
        var kOut = Linear(b, x, "k_proj", input, kv, h, d.QkvBias);
        var vOut = Linear(b, x, "v_proj", input, kv, h, d.QkvBias);
        if (d.QkNorm != QkNormKind.None)
        {
            bool perHead = d.QkNorm == QkNormKind.PerHead;
            qOut = GraphParts.RmsNorm(b, x, "q_norm", qOut, q, b.Param("q_norm"), perHead ? d.Heads : 1);
            kOut = GraphParts.RmsNorm(b, x, "k_norm", kOut, kv, b.Param("k_norm"), perHead ? d.KeyValueHeads : 1);
        }
        var attnOut = GraphParts.RotaryAttention(b, x, d.Heads, d.KeyValueHeads, q, kv, qOut, kOut, vOut);
        return Linear(b, x, "o_proj", attnOut, h, q, d.OutputBias);
    }

    static GraphTensor Linear(GraphBuilder b, GraphContext x, string role, GraphTensor input, long outFeatures, long inFeatures, bool bias) =>
        GraphParts.Linear(b, x, role, input, outFeatures, inFeatures, b.Param(role), bias ? b.Param(role + ".bias") : null);

    /// <summary>A dense SwiGLU MLP (a Qwen dense layer's <c>mlp</c>, or Qwen2-MoE's <c>shared_expert</c>): down(silu(gate(x))·up(x)).</summary>
    static GraphTensor DenseMlp(GraphBuilder b, GraphContext x, string prefix, GraphTensor input, long h, long i)
    {
        var gate = Linear(b, x, prefix + "gate_proj", input, i, h, false);
        var up = Linear(b, x, prefix + "up_proj", input, i, h, false);
        var prod = GraphParts.SwiGlu(b, x, gate, up, i);
        return Linear(b, x, prefix + "down_proj", prod, h, i, false);
    }

    /// <summary>
    /// The sparse MLP as transformers runs it. 5.x (<see cref="MoeLayout.Fused"/>): Qwen2-MoE's shared expert first, the
    /// router (float32 weights), the experts (<c>grouped_mm</c> on the pytorch runtime unless the config asks for
    /// <c>eager</c>; the eager loop on this project's TorchSharp model), then the shared expert's sigmoid gate and
    /// <c>+=</c>. 4.x (<see cref="MoeLayout.PerExpert"/>): the router with weights cast to the hidden dtype, the eager
    /// loop over each expert's own Linears, then the shared expert and an out-of-place sum.
    /// </summary>
    static GraphTensor SparseMlp(GraphBuilder b, GraphContext x, SparseMlpDesign d, GraphTensor input)
    {
        long h = d.Hidden;
        long xb = input.Size.PerToken / h;
        bool v5 = d.Layout == MoeLayout.Fused;
        bool shared = d.SharedIntermediate > 0;
        GraphTensor? sharedOut = v5 && shared ? DenseMlp(b, x, "shared_expert.", input, h, d.SharedIntermediate) : null;
        var routing = MoeGraphParts.Router(b, x, input, h, d.Experts, d.TopK, b.Param("gate"), d.Renormalise, d.FloatCopyBeforeSoftmax,
            castWeightsTo: v5 ? 0 : xb);
        MoeGraphParts.ExpertWeights weights;
        if (v5) weights = new MoeGraphParts.StackedWeights(b.Param("experts.gate_up_proj"), b.Param("experts.down_proj"));
        else
        {
            var gate = new ParamRole[d.Experts];
            var up = new ParamRole[d.Experts];
            var down = new ParamRole[d.Experts];
            for (int e = 0; e < d.Experts; e++)
            {
                gate[e] = b.Param($"experts.{e}.gate");
                up[e] = b.Param($"experts.{e}.up");
                down[e] = b.Param($"experts.{e}.down");
            }
            weights = new MoeGraphParts.PerExpertWeights(gate, up, down);
        }
        bool grouped = v5 && d.Implementation == ExpertsImplementation.GroupedMm && !x.Flavor.EagerExperts;
        var routed = grouped
            ? MoeGraphParts.GroupedMmExperts(b, x, input, routing, h, d.Intermediate, d.Experts, d.TopK, (MoeGraphParts.StackedWeights)weights)
            : MoeGraphParts.EagerExperts(b, x, input, routing, h, d.Intermediate, d.Experts, d.TopK, weights);
        if (!shared) return routed;
        sharedOut ??= DenseMlp(b, x, "shared_expert.", input, h, d.SharedIntermediate);
        long a = x.ActivationBytes;
        var gateLogit = Linear(b, x, "shared_expert_gate", input, 1, h, false);                   // (T, 1)
        var sig = b.Tensor("sigmoid(shared_expert_gate)", Extent.Tokens(a));
        b.Op("sigmoid", [gateLogit], [sig], saved: [sig]);
        var scaled = b.Tensor("shared expert out·gate", Extent.Tokens(a * h));
        b.Op("mul shared expert gate", [sig, sharedOut], [scaled], saved: [sig, sharedOut]);
        var sum = b.Tensor("experts + shared expert", Extent.Tokens(xb * h));
        // 5.x: expert_output += shared_expert_output (in place); 4.x: final_hidden_states + shared_expert_output.
        b.Op(v5 ? "experts out += shared" : "experts out + shared", [routed, scaled], [sum], passThroughGrad: true, inPlace: v5);
        return sum;
    }
}
