using GaLore.Planner.Memory.Graph;
using R = GaLore.Planner.Models.Families.DecoderRoles;

namespace GaLore.Planner.Models.Families;

/// <summary>
/// Phi-3 (<c>Phi3ForCausalLM</c>; Abdin et al. 2024, arXiv 2404.14219): the Llama block with the q, k and v projections
/// fused into one <c>qkv_proj</c> ((heads + 2·kv_heads)·d × h, sliced into q | k | v) and gate and up fused into one
/// <c>gate_up_proj</c> (2i × h, chunked) — so GaLore projects these fused shapes; <c>o_proj</c> is registered before
/// <c>qkv_proj</c>. Residual dropouts (<c>resid_pdrop</c>), partial rotary (<c>partial_rotary_factor</c>) and a sliding window
/// on every layer (<c>sliding_window</c>) are read. Defaults follow <c>Phi3Config</c>: num_key_value_heads = heads,
/// head_dim = h / heads, rms_norm_eps 1e-5, no biases, untied, max_position_embeddings 4096.
/// </summary>
public sealed class Phi3Family : DecoderFamily
{
    public override string ModelType => "phi3";

    public override string Summary => "the Llama block with fused qkv_proj and gate_up_proj (GaLore projects the fused shapes), optional sliding window";

    public override ModelConfig Parse(HfConfigReader r)
    {
        RejectMoe(r);
        int hidden = r.Int("hidden_size"), heads = r.Int("num_attention_heads"), layers = r.Int("num_hidden_layers");
        int headDim = r.OptionalInt("head_dim") ?? (heads > 0 ? hidden / heads : 0);
        double fraction = r.OptionalDouble("partial_rotary_factor") ?? 1.0;
        if (fraction <= 0 || fraction > 1)
            throw new PlannerInputException($"model config '{r.Name}': partial_rotary_factor must be in (0, 1], got {fraction}");
        int rotary = (int)(headDim * fraction);
        int window = r.OptionalInt("sliding_window") ?? 0;
        return new ModelConfig(r.Name, this, r.Int("vocab_size"), hidden, r.Int("intermediate_size"), layers, heads,
            r.OptionalInt("num_key_value_heads") ?? heads, headDim,
            TieWordEmbeddings: r.OptionalBool("tie_word_embeddings") ?? false,
            QkvBias: false, OutputBias: false, MlpBias: false,
            MaxPositionEmbeddings: r.OptionalInt("max_position_embeddings") ?? 4096)
        {
            SlidingWindow = window,
            LayerTypes = window > 0 ? Pattern(layers, _ => true) : null,
            RotaryDim = rotary < headDim ? rotary : 0,
            HiddenAct = HiddenActivations.Parse(r.OptionalString("hidden_act") ?? "silu", r.Name, "hidden_act"),
            AttentionDropout = r.OptionalDouble("attention_dropout") ?? 0,
            ResidualDropout = r.OptionalDouble("resid_pdrop") ?? 0,
        };
    }

    public override void Validate(ModelConfig c)
    {
        c.RequireUnset(nameof(c.SlidingWindow), nameof(c.LayerTypes), nameof(c.RotaryDim), nameof(c.HiddenAct),
            nameof(c.AttentionDropout), nameof(c.ResidualDropout));
        if (c.RotaryWidth % 2 != 0)
            throw new PlannerInputException($"model '{c.Name}': the rotary width ({c.RotaryWidth}) must be even");
        if (c.QkvBias || c.OutputBias || c.MlpBias)
            throw new PlannerInputException($"model '{c.Name}': phi3's projections have no biases");
    }

    public override Layout.ModelLayout Layout(ModelConfig c)
    {
        long h = c.HiddenSize, i = c.IntermediateSize, q = c.QueryDim, kv = c.KeyValueDim, d = c.HeadDim;
        var t = new Tensors(c);
        int embed = t.Embedding("model.embed_tokens", c.VocabSize, h, c.TieWordEmbeddings ? "lm_head" : null); // V × h
        t.End(new DecoderEmbeddingDesign(h, c.RotaryWidth, 1, false, false, false, 0, HasFull(c), c.HasSlidingLayers));
        for (int l = 0; l < c.NumLayers; l++)
        {
            string p = $"model.layers.{l}";
            t.Matrix(R.O, $"{p}.self_attn.o_proj", TensorKind.AttentionProjection, l, h, q);                // h × (heads·d)
            t.Matrix(R.Qkv, $"{p}.self_attn.qkv_proj", TensorKind.AttentionProjection, l, q + 2 * kv, h);  // (heads + 2·kv_heads)·d × h
            t.Matrix(R.GateUp, $"{p}.mlp.gate_up_proj", TensorKind.MlpProjection, l, 2 * i, h);             // 2i × h
            t.Matrix(R.Down, $"{p}.mlp.down_proj", TensorKind.MlpProjection, l, h, i);                      // h × i
            t.Norm(R.AttnNorm, $"{p}.input_layernorm", l, h);                                               // h
            t.Norm(R.MlpNorm, $"{p}.post_attention_layernorm", l, h);                                       // h
            t.End(new DecoderBlockDesign(h, i, c.NumHeads, c.NumKeyValueHeads, d, NormKind.Rms, NormPlacement.Pre, false,
                QkvLayout.FusedSliced, false, false, QkNormKind.None, c.RotaryWidth, false,
                EagerAttention.Generic, 0, c.AttentionDropout, c.IsSlidingLayer(l), MlpKind.GatedFused, c.HiddenAct, false, c.ResidualDropout), l);
        }
        t.Norm(R.FinalNorm, "model.norm", -1, h);                                                           // h
        t.LmHead("lm_head", embed, c.TieWordEmbeddings, c.VocabSize, h);                                    // V × h unless tied
        t.End(new DecoderHeadDesign(h, c.VocabSize, NormKind.Rms, c.TieWordEmbeddings, 0));
        return t.Build();
    }
}
