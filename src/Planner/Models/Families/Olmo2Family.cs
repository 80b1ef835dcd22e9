using GaLore.Planner.Memory.Graph;
using R = GaLore.Planner.Models.Families.DecoderRoles;

namespace GaLore.Planner.Models.Families;

/// <summary>
/// OLMo 2 (<c>Olmo2ForCausalLM</c>; OLMo Team 2024, arXiv 2501.00656): no pre-norm — each sublayer's output is normalised
/// before its residual addition, h₁ = x + norm(attn(x)), h₂ = h₁ + norm(mlp(h₁)) — with RMSNorms over the whole q and k
/// projections (heads·d and kv_heads·d) before the heads are split, the norms' weight multiplied in float32, and rotary
/// tables kept in float32 (so the rotation runs in float32). Defaults follow <c>Olmo2Config</c>: num_key_value_heads =
/// heads, head_dim = h / heads, attention_bias false, untied, max_position_embeddings 2048.
/// </summary>
public sealed class Olmo2Family : DecoderFamily
{
    public override string ModelType => "olmo2";

    public override string Summary => "norms after attention and after the MLP (no pre-norm), q/k RMSNorms over all heads, float32 rotary";

    public override ModelConfig Parse(HfConfigReader r)
    {
        RejectMoe(r);
        int hidden = r.Int("hidden_size"), heads = r.Int("num_attention_heads");
        bool attentionBias = r.OptionalBool("attention_bias") ?? false;
        return new ModelConfig(r.Name, this, r.Int("vocab_size"), hidden, r.Int("intermediate_size"), r.Int("num_hidden_layers"), heads,
            r.OptionalInt("num_key_value_heads") ?? heads, r.OptionalInt("head_dim") ?? (heads > 0 ? hidden / heads : 0),
            TieWordEmbeddings: r.OptionalBool("tie_word_embeddings") ?? false,
            QkvBias: attentionBias, OutputBias: attentionBias, MlpBias: false,
            MaxPositionEmbeddings: r.OptionalInt("max_position_embeddings") ?? 2048)
        {
            HiddenAct = HiddenActivations.Parse(r.OptionalString("hidden_act") ?? "silu", r.Name, "hidden_act"),
            AttentionDropout = r.OptionalDouble("attention_dropout") ?? 0,
        };
    }

    public override void Validate(ModelConfig c)
    {
        c.RequireUnset(nameof(c.HiddenAct), nameof(c.AttentionDropout));
        RequireLlamaStyleBiasesAndEvenHeadDim(c);
    }

    public override Layout.ModelLayout Layout(ModelConfig c)
    {
        long h = c.HiddenSize, i = c.IntermediateSize, q = c.QueryDim, kv = c.KeyValueDim, d = c.HeadDim;
        var t = new Tensors(c);
        int embed = t.Embedding("model.embed_tokens", c.VocabSize, h, c.TieWordEmbeddings ? "lm_head" : null); // V × h
        t.End(new DecoderEmbeddingDesign(h, d, 1, Float32Rotary: true, false, false, 0, true, false));
        for (int l = 0; l < c.NumLayers; l++)
        {
            string p = $"model.layers.{l}";
            t.SelfAttention(p, l);                                                                          // q, k, v, o
            t.Norm(R.QNorm, $"{p}.self_attn.q_norm", l, q);                                                 // heads·d
            t.Norm(R.KNorm, $"{p}.self_attn.k_norm", l, kv);                                                // kv_heads·d
            t.GatedMlp(p, l);                                                                               // gate, up, down
            t.Norm(R.AttnPostNorm, $"{p}.post_attention_layernorm", l, h);                                  // h
            t.Norm(R.MlpPostNorm, $"{p}.post_feedforward_layernorm", l, h);                                 // h
            t.End(new DecoderBlockDesign(h, i, c.NumHeads, c.NumKeyValueHeads, d, NormKind.RmsScaledInFloat32, NormPlacement.Post, false,
                QkvLayout.Separate, c.QkvBias, c.OutputBias, QkNormKind.Projection, d, Float32Rotary: true,
                EagerAttention.Generic, 0, c.AttentionDropout, false, MlpKind.Gated, c.HiddenAct, false, 0), l);
        }
        t.Norm(R.FinalNorm, "model.norm", -1, h);                                                           // h
        t.LmHead("lm_head", embed, c.TieWordEmbeddings, c.VocabSize, h);                                    // V × h unless tied
        t.End(new DecoderHeadDesign(h, c.VocabSize, NormKind.RmsScaledInFloat32, c.TieWordEmbeddings, 0));
        return t.Build();
    }
}
