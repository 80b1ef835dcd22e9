using GaLore.Planner.Models.Families;

namespace GaLore.Planner.Models;

/// <summary>The families the planner knows: the one list that <c>config.json</c> loading, presets, the CLI's help and the
/// profiler's TorchSharp twins are checked against.</summary>
public static class ModelFamilies
{
    /// <summary>Meta's Llama (<c>LlamaForCausalLM</c>).</summary>
    public static readonly ModelFamily Llama = new LlamaFamily(LlamaFamily.Variant.Llama);

    /// <summary>Mistral (<c>MistralForCausalLM</c>): the Llama block with grouped-query attention.</summary>
    public static readonly ModelFamily Mistral = new LlamaFamily(LlamaFamily.Variant.Mistral);

    /// <summary>Qwen2 / Qwen2.5 (<c>Qwen2ForCausalLM</c>): the Llama block with q/k/v biases.</summary>
    public static readonly ModelFamily Qwen2 = new LlamaFamily(LlamaFamily.Variant.Qwen2);

    /// <summary>Qwen3 (<c>Qwen3ForCausalLM</c>): the Llama block with per-head q/k RMSNorms.</summary>
    public static readonly ModelFamily Qwen3 = new Qwen3Family();

    /// <summary>Gemma 2 (<c>Gemma2ForCausalLM</c>).</summary>
    public static readonly ModelFamily Gemma2 = new GemmaFamily(GemmaFamily.Version.Gemma2);

    /// <summary>Gemma 3's text model (<c>Gemma3ForCausalLM</c>, <c>gemma3_text</c>).</summary>
    public static readonly ModelFamily Gemma3Text = new GemmaFamily(GemmaFamily.Version.Gemma3Text);

    /// <summary>Phi-3 (<c>Phi3ForCausalLM</c>): fused qkv_proj and gate_up_proj.</summary>
    public static readonly ModelFamily Phi3 = new Phi3Family();

    /// <summary>OLMo 2 (<c>Olmo2ForCausalLM</c>): post-sublayer norms, q/k norms over all heads.</summary>
    public static readonly ModelFamily Olmo2 = new Olmo2Family();

    /// <summary>GPT-2 (<c>GPT2LMHeadModel</c>): learned positions, LayerNorm, Conv1D projections, dropout.</summary>
    public static readonly ModelFamily Gpt2 = new Gpt2Family();

    /// <summary>GPT-NeoX / Pythia (<c>GPTNeoXForCausalLM</c>): parallel residual, partial rotary.</summary>
    public static readonly ModelFamily GptNeoX = new GptNeoXFamily();

    /// <summary>Mixtral (<c>MixtralForCausalLM</c>): Mistral blocks with a top-k mixture of experts.</summary>
    public static readonly ModelFamily Mixtral = new MixtralFamily();

    /// <summary>Qwen2-MoE / Qwen1.5-MoE (<c>Qwen2MoeForCausalLM</c>): routed experts plus a gated shared expert.</summary>
    public static readonly ModelFamily Qwen2Moe = new Qwen2MoeFamily();

    /// <summary>Qwen3-MoE (<c>Qwen3MoeForCausalLM</c>): per-head q/k norms and routed experts.</summary>
    public static readonly ModelFamily Qwen3Moe = new Qwen3MoeFamily();

    /// <summary>OLMoE (<c>OlmoeForCausalLM</c>): whole-projection q/k norms and routed experts.</summary>
    public static readonly ModelFamily Olmoe = new OlmoeFamily();

    /// <summary>Every family, in the order help texts list them.</summary>
    public static readonly IReadOnlyList<ModelFamily> All =
        [Llama, Mistral, Qwen2, Qwen3, Gemma2, Gemma3Text, Phi3, Olmo2, Gpt2, GptNeoX, Mixtral, Qwen2Moe, Qwen3Moe, Olmoe];

    /// <summary>The family of a <c>model_type</c>; null when none is known.</summary>
    public static ModelFamily? Find(string modelType)
    {
        foreach (var f in All)
            if (string.Equals(f.ModelType, modelType, StringComparison.Ordinal)) return f;
        return null;
    }

    /// <summary>The known <c>model_type</c> values, comma-separated (for error messages).</summary>
    public static string Names => string.Join(", ", All.Select(f => f.ModelType));
}
