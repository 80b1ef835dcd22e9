namespace GaLore.Planner.Models;

/// <summary>Built-in model shapes, selectable by name with <c>--model</c>.</summary>
public static class ModelPresets
{
    /// <summary>
    /// The GaLore paper's LLaMA pre-training configs (Zhao et al. 2024, arXiv 2403.03507, Table 5;
    /// <c>configs/llama_*.json</c> of the reference repository: vocab 32000, untied), the public
    /// checkpoints users fine-tune (values from each model's <c>config.json</c> on the Hugging Face Hub),
    /// and a tiny grouped-query model for tests.
    /// </summary>
    public static readonly IReadOnlyList<ModelConfig> All =
    [
        ModelConfig.Llama("llama-60m", 32000, 512, 1376, 8, 8, maxPositions: 1024),
        ModelConfig.Llama("llama-130m", 32000, 768, 2048, 12, 12, maxPositions: 1024),
        ModelConfig.Llama("llama-350m", 32000, 1024, 2736, 24, 16, maxPositions: 1024),
        ModelConfig.Llama("llama-1b", 32000, 2048, 5461, 24, 32, maxPositions: 1024),
        ModelConfig.Llama("llama-7b", 32000, 4096, 11008, 32, 32, maxPositions: 2048),
        ModelConfig.Llama("llama-2-7b", 32000, 4096, 11008, 32, 32, maxPositions: 4096),
        ModelConfig.Llama("llama-2-13b", 32000, 5120, 13824, 40, 40, maxPositions: 4096),
        ModelConfig.Llama("mistral-7b", 32000, 4096, 14336, 32, 32, kvHeads: 8, family: ModelFamilies.Mistral, maxPositions: 32768),
        ModelConfig.Llama("llama-3-8b", 128256, 4096, 14336, 32, 32, kvHeads: 8, maxPositions: 8192),
        ModelConfig.Llama("llama-3.1-8b", 128256, 4096, 14336, 32, 32, kvHeads: 8, maxPositions: 131072),
        ModelConfig.Llama("qwen2.5-7b", 152064, 3584, 18944, 28, 28, kvHeads: 4, family: ModelFamilies.Qwen2,
            qkvBias: true, maxPositions: 32768),
        ModelConfig.Llama("llama-2-70b", 32000, 8192, 28672, 80, 64, kvHeads: 8, maxPositions: 4096),
        ModelConfig.Llama("llama-3.1-70b", 128256, 8192, 28672, 80, 64, kvHeads: 8, maxPositions: 131072),
        ModelConfig.Llama("tiny", 512, 64, 176, 2, 4, kvHeads: 2, maxPositions: 512),
    ];

    /// <summary>Finds a preset by name (case-insensitive); null when there is none.</summary>
    public static ModelConfig? Find(string name)
    {
        foreach (var m in All)
            if (string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase)) return m;
        return null;
    }
}
