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

    /// <summary>Every family, in the order help texts list them.</summary>
    public static readonly IReadOnlyList<ModelFamily> All = [Llama, Mistral, Qwen2];

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
