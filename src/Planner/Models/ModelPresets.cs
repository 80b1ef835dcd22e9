namespace GaLore.Planner.Models;

/// <summary>Built-in model shapes, selectable by name with <c>--model</c>.</summary>
public static class ModelPresets
{
    /// <summary>
    /// The GaLore paper's LLaMA pre-training configs (Zhao et al. 2024, arXiv 2403.03507, Table 5;
    /// <c>configs/llama_*.json</c> of the reference repository: vocab 32000, untied), the public
    /// checkpoints users fine-tune (values from each model's <c>config.json</c> on the Hugging Face Hub),
    /// a tiny grouped-query model for tests, and the popular mixture-of-experts checkpoints (named by their Hugging Face
    /// ids too, <see cref="HfIds"/>).
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
        ModelConfig.Llama("qwen2.5-7b", 152064, 3584, 18944, 28, 28, kvHeads: 4, family: ModelFamilies.Qwen2,
            qkvBias: true, maxPositions: 32768),
        ModelConfig.Llama("tiny", 512, 64, 176, 2, 4, kvHeads: 2, maxPositions: 512),
        // Mixture of experts (config.json of each checkpoint; counts in ParameterCountTests).
        Moe("mixtral-8x7b", ModelFamilies.Mixtral, 32000, 4096, 14336, 32, 32, 8, 128, 32768,
            new MoeConfig(8, 2, 14336, 0, 1, [], NormTopKProb: true)),
        Moe("qwen3-30b-a3b", ModelFamilies.Qwen3Moe, 151936, 2048, 6144, 48, 32, 4, 128, 40960,
            new MoeConfig(128, 8, 768, 0, 1, [], NormTopKProb: true)),
        Moe("qwen1.5-moe-a2.7b", ModelFamilies.Qwen2Moe, 151936, 2048, 5632, 24, 16, 16, 128, 8192,
            new MoeConfig(60, 4, 1408, 5632, 1, [], NormTopKProb: false), qkvBias: true),
        Moe("olmoe-1b-7b", ModelFamilies.Olmoe, 50304, 2048, 1024, 16, 16, 16, 128, 4096,
            new MoeConfig(64, 8, 1024, 0, 1, [], NormTopKProb: false)),
    ];

    /// <summary>Hugging Face ids that name a preset (<c>--model mistralai/Mixtral-8x7B-v0.1</c>).</summary>
    public static readonly IReadOnlyList<(string HfId, string Preset)> HfIds =
    [
        ("mistralai/Mixtral-8x7B-v0.1", "mixtral-8x7b"),
        ("Qwen/Qwen3-30B-A3B", "qwen3-30b-a3b"),
        ("Qwen/Qwen1.5-MoE-A2.7B", "qwen1.5-moe-a2.7b"),
        ("allenai/OLMoE-1B-7B-0924", "olmoe-1b-7b"),
    ];

    /// <summary>Finds a preset by name or Hugging Face id (case-insensitive); null when there is none.</summary>
    public static ModelConfig? Find(string name)
    {
        foreach (var m in All)
            if (string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase)) return m;
        foreach (var (id, preset) in HfIds)
            if (string.Equals(id, name, StringComparison.OrdinalIgnoreCase)) return Find(preset);
        return null;
    }

    /// <summary>A mixture-of-experts preset, untied, with an explicit head_dim.</summary>
    static ModelConfig Moe(string name, ModelFamily family, int vocab, int hidden, int intermediate, int layers, int heads, int kvHeads,
        int headDim, int maxPositions, MoeConfig moe, bool qkvBias = false) =>
        new ModelConfig(name, family, vocab, hidden, intermediate, layers, heads, kvHeads, headDim, TieWordEmbeddings: false,
            QkvBias: qkvBias, OutputBias: false, MlpBias: false, maxPositions) { Moe = moe }.Validate();
}
