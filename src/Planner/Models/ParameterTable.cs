namespace GaLore.Planner.Models;

/// <summary>
/// The trainable tensors of a Llama-family decoder, in Hugging Face's names and module order
/// (<c>LlamaForCausalLM</c>, <c>MistralForCausalLM</c>, <c>Qwen2ForCausalLM</c>).
/// Read it like llm.c's <c>fill_in_parameter_sizes</c>: one line per tensor.
/// </summary>
public static class ParameterTable
{
    /// <summary>Lists every parameter; the sum of <see cref="ParameterTensor.Elements"/> is the model's
    /// parameter count (tied embeddings counted once, as <c>model.num_parameters()</c> does).</summary>
    public static IReadOnlyList<ParameterTensor> Build(ModelConfig c)
    {
        long h = c.HiddenSize, i = c.IntermediateSize, q = c.QueryDim, kv = c.KeyValueDim, v = c.VocabSize;
        var t = new List<ParameterTensor>(c.NumLayers * 12 + 3)
        {
            new("model.embed_tokens.weight", "model.embed_tokens", TensorKind.Embedding, -1, v, h), // V × h
        };
        for (int l = 0; l < c.NumLayers; l++)
        {
            string p = $"model.layers.{l}";
            t.Add(new($"{p}.input_layernorm.weight", $"{p}.input_layernorm", TensorKind.Norm, l, h, 1));           // h
            t.Add(new($"{p}.self_attn.q_proj.weight", $"{p}.self_attn.q_proj", TensorKind.AttentionProjection, l, q, h));  // (heads·d) × h
            if (c.QkvBias) t.Add(new($"{p}.self_attn.q_proj.bias", $"{p}.self_attn.q_proj", TensorKind.Bias, l, q, 1));
            t.Add(new($"{p}.self_attn.k_proj.weight", $"{p}.self_attn.k_proj", TensorKind.AttentionProjection, l, kv, h)); // (kv_heads·d) × h
            if (c.QkvBias) t.Add(new($"{p}.self_attn.k_proj.bias", $"{p}.self_attn.k_proj", TensorKind.Bias, l, kv, 1));
            t.Add(new($"{p}.self_attn.v_proj.weight", $"{p}.self_attn.v_proj", TensorKind.AttentionProjection, l, kv, h)); // (kv_heads·d) × h
            if (c.QkvBias) t.Add(new($"{p}.self_attn.v_proj.bias", $"{p}.self_attn.v_proj", TensorKind.Bias, l, kv, 1));
            t.Add(new($"{p}.self_attn.o_proj.weight", $"{p}.self_attn.o_proj", TensorKind.AttentionProjection, l, h, q));  // h × (heads·d)
            if (c.OutputBias) t.Add(new($"{p}.self_attn.o_proj.bias", $"{p}.self_attn.o_proj", TensorKind.Bias, l, h, 1));
            t.Add(new($"{p}.post_attention_layernorm.weight", $"{p}.post_attention_layernorm", TensorKind.Norm, l, h, 1)); // h
            t.Add(new($"{p}.mlp.gate_proj.weight", $"{p}.mlp.gate_proj", TensorKind.MlpProjection, l, i, h));   // i × h
            if (c.MlpBias) t.Add(new($"{p}.mlp.gate_proj.bias", $"{p}.mlp.gate_proj", TensorKind.Bias, l, i, 1));
            t.Add(new($"{p}.mlp.up_proj.weight", $"{p}.mlp.up_proj", TensorKind.MlpProjection, l, i, h));       // i × h
            if (c.MlpBias) t.Add(new($"{p}.mlp.up_proj.bias", $"{p}.mlp.up_proj", TensorKind.Bias, l, i, 1));
            t.Add(new($"{p}.mlp.down_proj.weight", $"{p}.mlp.down_proj", TensorKind.MlpProjection, l, h, i));   // h × i
            if (c.MlpBias) t.Add(new($"{p}.mlp.down_proj.bias", $"{p}.mlp.down_proj", TensorKind.Bias, l, h, 1));
        }
        t.Add(new("model.norm.weight", "model.norm", TensorKind.Norm, -1, h, 1));                                // h
        if (!c.TieWordEmbeddings)
            t.Add(new("lm_head.weight", "lm_head", TensorKind.LmHead, -1, v, h));                                 // V × h
        return t;
    }
}
