using GaLore.Planner.Memory.Graph;
using R = GaLore.Planner.Models.Families.DecoderRoles;

namespace GaLore.Planner.Models.Families;

/// <summary>
/// GPT-NeoX (<c>GPTNeoXForCausalLM</c>; Black et al. 2022, arXiv 2204.06745; the Pythia suite): LayerNorms with bias, a fused
/// <c>query_key_value</c> projection laid out per head (viewed (B, T, heads, 3·d) and chunked), rotary embedding on the
/// first <c>rotary_pct</c> of each head, a GELU MLP with biases, and by default the parallel residual
/// x + attn(ln₁(x)) + mlp(ln₂(x)) (<c>use_parallel_residual</c>). Its output projection is <c>embed_out</c>. Defaults follow
/// <c>GPTNeoXConfig</c>: rotary_pct 0.25, hidden_act gelu, attention_bias true, untied, hidden_dropout and
/// attention_dropout 0.
/// </summary>
public sealed class GptNeoXFamily : DecoderFamily
{
    public override string ModelType => "gpt_neox";

    public override string Summary => "LayerNorm with bias, fused per-head query_key_value, partial rotary (rotary_pct), parallel attention + MLP, GELU MLP";

    public override ModelConfig Parse(HfConfigReader r)
    {
        RejectMoe(r);
        int hidden = r.Int("hidden_size"), heads = r.Int("num_attention_heads");
        int headDim = heads > 0 ? hidden / heads : 0;
        double pct = r.OptionalDouble("rotary_pct") ?? r.OptionalDouble("partial_rotary_factor") ?? 0.25;
        if (pct <= 0 || pct > 1) throw new PlannerInputException($"model config '{r.Name}': rotary_pct must be in (0, 1], got {pct}");
        int rotary = (int)(headDim * pct);
        bool bias = r.OptionalBool("attention_bias") ?? true;
        double hiddenDropout = r.OptionalDouble("hidden_dropout") ?? 0;
        return new ModelConfig(r.Name, this, r.Int("vocab_size"), hidden, r.Int("intermediate_size"), r.Int("num_hidden_layers"), heads,
            heads, headDim,
            TieWordEmbeddings: r.OptionalBool("tie_word_embeddings") ?? false,
            QkvBias: bias, OutputBias: bias, MlpBias: true,
            MaxPositionEmbeddings: r.OptionalInt("max_position_embeddings") ?? 2048)
        {
            RotaryDim = rotary < headDim ? rotary : 0,
            HiddenAct = HiddenActivations.Parse(r.OptionalString("hidden_act") ?? "gelu", r.Name, "hidden_act"),
            ParallelResidual = r.OptionalBool("use_parallel_residual") ?? true,
            AttentionDropout = r.OptionalDouble("attention_dropout") ?? 0,
            ResidualDropout = hiddenDropout,
            EmbeddingDropout = hiddenDropout,
        };
    }

    public override void Validate(ModelConfig c)
    {
        c.RequireUnset(nameof(c.RotaryDim), nameof(c.HiddenAct), nameof(c.ParallelResidual), nameof(c.AttentionDropout),
            nameof(c.ResidualDropout), nameof(c.EmbeddingDropout));
        if (c.HeadDim * c.NumHeads != c.HiddenSize || c.NumKeyValueHeads != c.NumHeads)
            throw new PlannerInputException($"model '{c.Name}': gpt_neox needs hidden_size ({c.HiddenSize}) divisible by num_attention_heads ({c.NumHeads}) and no grouped-query attention");
        if (c.RotaryWidth % 2 != 0)
            throw new PlannerInputException($"model '{c.Name}': the rotary width ({c.RotaryWidth}) must be even");
        if (c.OutputBias != c.QkvBias || !c.MlpBias)
            throw new PlannerInputException($"model '{c.Name}': gpt_neox's attention_bias covers query_key_value and dense together, and its MLP always has biases");
    }

    public override Layout.ModelLayout Layout(ModelConfig c)
    {
        long h = c.HiddenSize, i = c.IntermediateSize;
        var t = new Tensors(c);
        int embed = t.Embedding("gpt_neox.embed_in", c.VocabSize, h, c.TieWordEmbeddings ? "embed_out" : null);  // V × h
        t.End(new DecoderEmbeddingDesign(h, c.RotaryWidth, 1, false, false, false, c.EmbeddingDropout, true, false));
        for (int l = 0; l < c.NumLayers; l++)
        {
            string p = $"gpt_neox.layers.{l}";
            t.Norm(R.AttnNorm, $"{p}.input_layernorm", l, h, bias: true);                                          // h, h
            t.Norm(R.MlpNorm, $"{p}.post_attention_layernorm", l, h, bias: true);                                  // h, h
            t.Matrix(R.Qkv, $"{p}.attention.query_key_value", TensorKind.AttentionProjection, l, 3 * h, h, c.QkvBias); // 3h × h (per head: q, k, v)
            t.Matrix(R.O, $"{p}.attention.dense", TensorKind.AttentionProjection, l, h, h, c.OutputBias);         // h × h
            t.Matrix(R.Up, $"{p}.mlp.dense_h_to_4h", TensorKind.MlpProjection, l, i, h, bias: true);              // i × h
            t.Matrix(R.Down, $"{p}.mlp.dense_4h_to_h", TensorKind.MlpProjection, l, h, i, bias: true);            // h × i
            t.End(new DecoderBlockDesign(h, i, c.NumHeads, c.NumHeads, c.HeadDim, NormKind.LayerNorm, NormPlacement.Pre, c.ParallelResidual,
                QkvLayout.FusedPerHead, c.QkvBias, c.OutputBias, QkNormKind.None, c.RotaryWidth, false,
                EagerAttention.Generic, 0, c.AttentionDropout, false, MlpKind.Plain, c.HiddenAct, true, c.ResidualDropout), l);
        }
        t.Norm(R.FinalNorm, "gpt_neox.final_layer_norm", -1, h, bias: true);                                     // h, h
        t.LmHead("embed_out", embed, c.TieWordEmbeddings, c.VocabSize, h);                                         // V × h unless tied
        t.End(new DecoderHeadDesign(h, c.VocabSize, NormKind.LayerNorm, c.TieWordEmbeddings, 0));
        return t.Build();
    }
}
