using GaLore.Planner.Memory.Graph;
using R = GaLore.Planner.Models.Families.DecoderRoles;

namespace GaLore.Planner.Models.Families;

/// <summary>
/// Qwen3 (<c>Qwen3ForCausalLM</c>; Qwen Team 2025, arXiv 2505.09388): the Llama block with an RMSNorm of size head_dim on
/// every query and key head before the rotary embedding (<c>q_norm</c>, <c>k_norm</c>: "unlike olmo, only on the head
/// dim"), an explicit <c>head_dim</c> that need not be hidden / heads, and optional sliding-window layers
/// (<c>use_sliding_window</c>, from layer <c>max_window_layers</c> on). Config defaults follow <c>Qwen3Config</c>
/// (transformers 4.57): num_key_value_heads 32, head_dim 128, hidden_act silu, tie_word_embeddings false, attention_bias
/// false (biases on q, k, v and o when true), max_position_embeddings 32768.
/// </summary>
public sealed class Qwen3Family : DecoderFamily
{
    public override string ModelType => "qwen3";

    public override string Summary => "the Llama block with per-head RMSNorm on q and k (q_norm, k_norm), explicit head_dim, optional sliding-window layers";

    public override ModelConfig Parse(HfConfigReader r)
    {
        RejectMoe(r);
        int layers = r.Int("num_hidden_layers");
        bool attentionBias = r.OptionalBool("attention_bias") ?? false;
        int window = r.OptionalBool("use_sliding_window") ?? false ? r.OptionalInt("sliding_window") ?? 4096 : 0;
        int maxWindowLayers = r.OptionalInt("max_window_layers") ?? 28;
        string? types = ReadLayerTypes(r) ?? (window > 0 ? Pattern(layers, l => l >= maxWindowLayers) : null);
        return new ModelConfig(r.Name, this, r.Int("vocab_size"), r.Int("hidden_size"), r.Int("intermediate_size"), layers,
            r.Int("num_attention_heads"), r.OptionalInt("num_key_value_heads") ?? 32, r.OptionalInt("head_dim") ?? 128,
            TieWordEmbeddings: r.OptionalBool("tie_word_embeddings") ?? false,
            QkvBias: attentionBias, OutputBias: attentionBias, MlpBias: false,
            MaxPositionEmbeddings: r.OptionalInt("max_position_embeddings") ?? 32768)
        {
            SlidingWindow = types is not null && types.Contains('S') ? window : 0,
            LayerTypes = types is not null && types.Contains('S') && window > 0 ? types : null,
            HiddenAct = HiddenActivations.Parse(r.OptionalString("hidden_act") ?? "silu", r.Name, "hidden_act"),
            AttentionDropout = r.OptionalDouble("attention_dropout") ?? 0,
        };
    }

    public override void Validate(ModelConfig c)
    {
        c.RequireUnset(nameof(c.SlidingWindow), nameof(c.LayerTypes), nameof(c.HiddenAct), nameof(c.AttentionDropout));
        RequireLlamaStyleBiasesAndEvenHeadDim(c);
    }

    public override Layout.ModelLayout Layout(ModelConfig c)
    {
        long h = c.HiddenSize, i = c.IntermediateSize, d = c.HeadDim;
        var t = new Tensors(c);
        int embed = t.Embedding("model.embed_tokens", c.VocabSize, h, c.TieWordEmbeddings ? "lm_head" : null); // V × h
        t.End(new DecoderEmbeddingDesign(h, d, 1, false, false, false, 0, FullLayers: HasFull(c), SlidingLayers: c.HasSlidingLayers));
        for (int l = 0; l < c.NumLayers; l++)
        {
            string p = $"model.layers.{l}";
            t.SelfAttention(p, l);                                                                          // q, k, v, o
            t.Norm(R.QNorm, $"{p}.self_attn.q_norm", l, d);                                                 // d
            t.Norm(R.KNorm, $"{p}.self_attn.k_norm", l, d);                                                 // d
            t.GatedMlp(p, l);                                                                               // gate, up, down
            t.Norm(R.AttnNorm, $"{p}.input_layernorm", l, h);                                               // h
            t.Norm(R.MlpNorm, $"{p}.post_attention_layernorm", l, h);                                       // h
            t.End(new DecoderBlockDesign(h, i, c.NumHeads, c.NumKeyValueHeads, d, NormKind.Rms, NormPlacement.Pre, false,
                QkvLayout.Separate, c.QkvBias, c.OutputBias, QkNormKind.PerHead, d, false,
                EagerAttention.Generic, 0, c.AttentionDropout, c.IsSlidingLayer(l), MlpKind.Gated, c.HiddenAct, false, 0), l);
        }
        t.Norm(R.FinalNorm, "model.norm", -1, h);                                                           // h
        t.LmHead("lm_head", embed, c.TieWordEmbeddings, c.VocabSize, h);                                    // V × h unless tied
        t.End(new DecoderHeadDesign(h, c.VocabSize, NormKind.Rms, c.TieWordEmbeddings, 0));
        return t.Build();
    }
}
