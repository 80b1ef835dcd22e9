using GaLore.Planner.Memory.Graph;
using R = GaLore.Planner.Models.Families.DecoderRoles;

namespace GaLore.Planner.Models.Families;

/// <summary>
/// Gemma 2 (<c>Gemma2ForCausalLM</c>; Gemma Team 2024, arXiv 2408.00118) and Gemma 3's text model (<c>Gemma3ForCausalLM</c>,
/// <c>gemma3_text</c>; arXiv 2503.19786). Blocks with four RMSNorms — before and after attention, before and after the
/// MLP — that scale by (1 + w) in float32; a GeGLU MLP (<c>gelu_pytorch_tanh</c>); the embedding times √h; a tied lm_head;
/// head_dim independent of hidden / heads; attention scaled by <c>query_pre_attn_scalar</c>^-½; sliding-window layers
/// alternating with global ones (Gemma-2: every other layer; Gemma-3: five local to one global,
/// <c>sliding_window_pattern</c> 6). Gemma-2 soft-caps the attention scores (eager attention only: SDPA ignores it) and
/// the final logits; Gemma-3 adds q/k RMSNorms per head and a second rotary table for its local layers, and has no
/// soft-capping by default (its attention does not pass <c>attn_logit_softcapping</c> on in transformers 4.57).
/// Defaults follow <c>Gemma2Config</c> and <c>Gemma3TextConfig</c>.
/// </summary>
public sealed class GemmaFamily(GemmaFamily.Version version) : DecoderFamily
{
    /// <summary>The two <c>model_type</c> values.</summary>
    public enum Version { Gemma2, Gemma3Text }

    bool Three => version == Version.Gemma3Text;

    public override string ModelType => version switch
    {
        Version.Gemma2 => "gemma2",
        Version.Gemma3Text => "gemma3_text",
        _ => throw new InvalidOperationException($"unknown Gemma version {version}"),
    };

    public override string Summary => version switch
    {
        Version.Gemma2 => "four (1+w) RMSNorms per block, GeGLU, √h-scaled tied embeddings, attention and final-logit soft-capping, sliding-window layers alternating with global ones",
        Version.Gemma3Text => "the Gemma-2 block with per-head q/k RMSNorms, five sliding-window layers per global one, local and global rotary tables",
        _ => throw new InvalidOperationException($"unknown Gemma version {version}"),
    };

    public override ModelConfig Parse(HfConfigReader r)
    {
        RejectMoe(r);
        if (Three && (r.OptionalBool("use_bidirectional_attention") ?? false))
            throw new PlannerInputException($"model config '{r.Name}': field 'use_bidirectional_attention' is not supported: bidirectional attention is not modelled");
        int layers = r.Int("num_hidden_layers");
        bool attentionBias = r.OptionalBool("attention_bias") ?? false;
        int window = r.IsExplicitNull("sliding_window") ? 0 : r.OptionalInt("sliding_window") ?? 4096;
        int pattern = r.OptionalInt("sliding_window_pattern") ?? 6;
        if (Three && pattern <= 0) throw new PlannerInputException($"model config '{r.Name}': sliding_window_pattern must be positive, got {pattern}");
        string? types = ReadLayerTypes(r) ?? Pattern(layers, l => Three ? (l + 1) % pattern != 0 : (l + 1) % 2 != 0);
        double Cap(string field, double classDefault) => r.IsExplicitNull(field) ? 0 : r.OptionalDouble(field) ?? classDefault;
        return new ModelConfig(r.Name, this, r.Int("vocab_size"), r.Int("hidden_size"), r.Int("intermediate_size"), layers,
            r.Int("num_attention_heads"), r.OptionalInt("num_key_value_heads") ?? 4, r.OptionalInt("head_dim") ?? 256,
            TieWordEmbeddings: r.OptionalBool("tie_word_embeddings") ?? true,
            QkvBias: attentionBias, OutputBias: attentionBias, MlpBias: false,
            MaxPositionEmbeddings: r.OptionalInt("max_position_embeddings") ?? (Three ? 131072 : 8192))
        {
            SlidingWindow = window > 0 && types is not null && types.Contains('S') ? window : 0,
            LayerTypes = window > 0 && types is not null && types.Contains('S') ? types : null,
            AttnLogitSoftcapping = Three ? 0 : Cap("attn_logit_softcapping", 50.0),
            FinalLogitSoftcapping = Cap("final_logit_softcapping", Three ? 0 : 30.0),
            QueryPreAttnScalar = r.OptionalDouble("query_pre_attn_scalar") ?? 256,
            HiddenAct = HiddenActivations.Parse(r.OptionalString("hidden_activation") ?? "gelu_pytorch_tanh", r.Name, "hidden_activation"),
            AttentionDropout = r.OptionalDouble("attention_dropout") ?? 0,
        };
    }

    public override void Validate(ModelConfig c)
    {
        c.RequireUnset(nameof(c.SlidingWindow), nameof(c.LayerTypes), nameof(c.AttnLogitSoftcapping), nameof(c.FinalLogitSoftcapping),
            nameof(c.QueryPreAttnScalar), nameof(c.HiddenAct), nameof(c.AttentionDropout));
        RequireLlamaStyleBiasesAndEvenHeadDim(c);
        if (Three && c.AttnLogitSoftcapping != 0)
            throw new PlannerInputException($"model '{c.Name}': gemma3_text's attention does not soft-cap its scores in transformers 4.57");
    }

    public override Layout.ModelLayout Layout(ModelConfig c)
    {
        long h = c.HiddenSize, i = c.IntermediateSize, d = c.HeadDim;
        var t = new Tensors(c);
        int embed = t.Embedding("model.embed_tokens", c.VocabSize, h, c.TieWordEmbeddings ? "lm_head" : null); // V × h
        t.End(new DecoderEmbeddingDesign(h, d, Three ? 2 : 1, false, false, ScaleEmbeddings: true, 0, HasFull(c), c.HasSlidingLayers));
        for (int l = 0; l < c.NumLayers; l++)
        {
            string p = $"model.layers.{l}";
            t.SelfAttention(p, l);                                                                          // q, k, v, o
            if (Three)
            {
                t.Norm(R.QNorm, $"{p}.self_attn.q_norm", l, d);                                             // d
                t.Norm(R.KNorm, $"{p}.self_attn.k_norm", l, d);                                             // d
            }
            t.GatedMlp(p, l);                                                                               // gate, up, down
            t.Norm(R.AttnNorm, $"{p}.input_layernorm", l, h);                                               // h
            t.Norm(R.AttnPostNorm, $"{p}.post_attention_layernorm", l, h);                                  // h
            t.Norm(R.MlpNorm, $"{p}.pre_feedforward_layernorm", l, h);                                      // h
            t.Norm(R.MlpPostNorm, $"{p}.post_feedforward_layernorm", l, h);                                 // h
            t.End(new DecoderBlockDesign(h, i, c.NumHeads, c.NumKeyValueHeads, d, NormKind.RmsScaledInFloat32, NormPlacement.Sandwich, false,
                QkvLayout.Separate, c.QkvBias, c.OutputBias, Three ? QkNormKind.PerHead : QkNormKind.None, d, false,
                EagerAttention.Generic, c.AttnLogitSoftcapping, c.AttentionDropout, c.IsSlidingLayer(l), MlpKind.Gated, c.HiddenAct, false, 0), l);
        }
        t.Norm(R.FinalNorm, "model.norm", -1, h);                                                           // h
        t.LmHead("lm_head", embed, c.TieWordEmbeddings, c.VocabSize, h);                                    // V × h unless tied
        t.End(new DecoderHeadDesign(h, c.VocabSize, NormKind.RmsScaledInFloat32, c.TieWordEmbeddings, c.FinalLogitSoftcapping));
        return t.Build();
    }
}
