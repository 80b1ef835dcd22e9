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

    /// <summary>Mixtral (<c>MixtralForCausalLM</c>): Mistral blocks with a top-k mixture of experts.</summary>
    public static readonly ModelFamily Mixtral = new MixtralFamily();

    /// <summary>Qwen2-MoE / Qwen1.5-MoE (<c>Qwen2MoeForCausalLM</c>): routed experts plus a gated shared expert.</summary>
    public static readonly ModelFamily Qwen2Moe = new Qwen2MoeFamily();

    /// <summary>Qwen3-MoE (<c>Qwen3MoeForCausalLM</c>): per-head q/k norms and routed experts.</summary>
    public static readonly ModelFamily Qwen3Moe = new Qwen3MoeFamily();

    /// <summary>OLMoE (<c>OlmoeForCausalLM</c>): whole-projection q/k norms and routed experts.</summary>
    public static readonly ModelFamily Olmoe = new OlmoeFamily();

    /// <summary>Every family, in the order help texts list them.</summary>
    public static readonly IReadOnlyList<ModelFamily> All = [Llama, Mistral, Qwen2, Mixtral, Qwen2Moe, Qwen3Moe, Olmoe];

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
