using GaLore.Planner.Memory.Graph;
using R = GaLore.Planner.Models.Families.DecoderRoles;

namespace GaLore.Planner.Models.Families;

/// <summary>
/// GPT-2 (<c>GPT2LMHeadModel</c>; Radford et al. 2019): learned absolute positions (<c>wpe</c>), pre-LayerNorm blocks with
/// biases, a GELU MLP (<c>gelu_new</c>, the tanh formula as Python arithmetic), dropout on the embeddings, the attention
/// probabilities and each sublayer's output (0.1 by default: their masks are saved in training), and a tied lm_head.
/// Its projections are <c>transformers.pytorch_utils.Conv1D</c>, weights [in, out] — not <c>nn.Linear</c>, so Hugging Face's
/// GaLore selects none of them (with the default targets it raises). Every attention layer keeps its causal mask as a
/// buffer (<c>attn.bias</c>, n_positions² booleans). Defaults follow <c>GPT2Config</c> (with its attribute_map:
/// n_embd = hidden_size, n_layer, n_head, n_positions, n_inner = 4·n_embd when null).
/// </summary>
public sealed class Gpt2Family : DecoderFamily
{
    public override string ModelType => "gpt2";

    public override string Summary => "learned positions, LayerNorm with bias, Conv1D projections (not nn.Linear: GaLore selects none), gelu_new MLP, dropout, tied lm_head";

    public override ModelConfig Parse(HfConfigReader r)
    {
        RejectMoe(r);
        foreach (var (field, expected) in new[] { ("scale_attn_weights", true), ("scale_attn_by_inverse_layer_idx", false),
                     ("reorder_and_upcast_attn", false), ("add_cross_attention", false) })
            if (r.OptionalBool(field) is { } v && v != expected)
                throw new PlannerInputException($"model config '{r.Name}': field '{field}' = {(v ? "true" : "false")} is not supported: that attention path is not modelled");
        int hidden = r.OptionalInt("n_embd") ?? r.OptionalInt("hidden_size") ?? 768;
        int heads = r.OptionalInt("n_head") ?? r.OptionalInt("num_attention_heads") ?? 12;
        return new ModelConfig(r.Name, this, r.OptionalInt("vocab_size") ?? 50257, hidden, r.OptionalInt("n_inner") ?? 4 * hidden,
            r.OptionalInt("n_layer") ?? r.OptionalInt("num_hidden_layers") ?? 12, heads, heads, heads > 0 ? hidden / heads : 0,
            TieWordEmbeddings: r.OptionalBool("tie_word_embeddings") ?? true,
            QkvBias: true, OutputBias: true, MlpBias: true,
            MaxPositionEmbeddings: r.OptionalInt("n_positions") ?? r.OptionalInt("max_position_embeddings") ?? 1024)
        {
            HiddenAct = HiddenActivations.Parse(r.OptionalString("activation_function") ?? "gelu_new", r.Name, "activation_function"),
            AttentionDropout = r.OptionalDouble("attn_pdrop") ?? 0.1,
            ResidualDropout = r.OptionalDouble("resid_pdrop") ?? 0.1,
            EmbeddingDropout = r.OptionalDouble("embd_pdrop") ?? 0.1,
        };
    }

    public override void Validate(ModelConfig c)
    {
        c.RequireUnset(nameof(c.HiddenAct), nameof(c.AttentionDropout), nameof(c.ResidualDropout), nameof(c.EmbeddingDropout));
        if (c.HeadDim * c.NumHeads != c.HiddenSize || c.NumKeyValueHeads != c.NumHeads)
            throw new PlannerInputException($"model '{c.Name}': gpt2 needs n_embd ({c.HiddenSize}) divisible by n_head ({c.NumHeads}) and no grouped-query attention");
        if (!(c.QkvBias && c.OutputBias && c.MlpBias))
            throw new PlannerInputException($"model '{c.Name}': gpt2's Conv1D projections always carry biases");
    }

    /// <summary>The per-layer causal buffers (<c>GPT2Attention.bias</c>: a [1, 1, n_positions, n_positions] bool tensor in
    /// every layer, registered non-persistent but resident on the device), bytes each.</summary>
    public static long[] CausalBuffers(ModelConfig c) =>
        Enumerable.Repeat((long)c.MaxPositionEmbeddings * c.MaxPositionEmbeddings, c.NumLayers).ToArray();

    public override Layout.ModelLayout Layout(ModelConfig c)
    {
        long h = c.HiddenSize, i = c.IntermediateSize;
        var t = new Tensors(c);
        int embed = t.Embedding("transformer.wte", c.VocabSize, h, c.TieWordEmbeddings ? "lm_head" : null);            // V × h
        t.Builder.Param(R.Positions, new ParameterTensor("transformer.wpe.weight", "transformer.wpe", TensorKind.PositionEmbedding, -1,
            c.MaxPositionEmbeddings, h));                                                                               // n_positions × h
        t.End(new DecoderEmbeddingDesign(h, 0, 0, false, LearnedPositions: true, false, c.EmbeddingDropout, true, false));
        for (int l = 0; l < c.NumLayers; l++)
        {
            string p = $"transformer.h.{l}";
            t.Norm(R.AttnNorm, $"{p}.ln_1", l, h, bias: true);                                            // h, h
            t.Matrix(R.Qkv, $"{p}.attn.c_attn", TensorKind.Conv1D, l, h, 3 * h, bias: true);             // h × 3h (Conv1D: [in, out]), 3h
            t.Matrix(R.O, $"{p}.attn.c_proj", TensorKind.Conv1D, l, h, h, bias: true);                   // h × h, h
            t.Norm(R.MlpNorm, $"{p}.ln_2", l, h, bias: true);                                            // h, h
            t.Matrix(R.Up, $"{p}.mlp.c_fc", TensorKind.Conv1D, l, h, i, bias: true);                     // h × i, i
            t.Matrix(R.Down, $"{p}.mlp.c_proj", TensorKind.Conv1D, l, i, h, bias: true);                 // i × h, h
            t.End(new DecoderBlockDesign(h, i, c.NumHeads, c.NumHeads, c.HeadDim, NormKind.LayerNorm, NormPlacement.Pre, false,
                QkvLayout.FusedSplit, true, true, QkNormKind.None, 0, false,
                EagerAttention.Gpt2, 0, c.AttentionDropout, false, MlpKind.Plain, c.HiddenAct, true, c.ResidualDropout), l);
        }
        t.Norm(R.FinalNorm, "transformer.ln_f", -1, h, bias: true);                                     // h, h
        t.LmHead("lm_head", embed, c.TieWordEmbeddings, c.VocabSize, h);                                  // V × h unless tied
        t.End(new DecoderHeadDesign(h, c.VocabSize, NormKind.LayerNorm, c.TieWordEmbeddings, 0));
        return t.Build(CausalBuffers(c));
    }
}
