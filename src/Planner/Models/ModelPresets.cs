namespace GaLore.Planner.Models;

/// <summary>A built-in model: a short name, the Hugging Face id it stands for (null when it is no published checkpoint),
/// and the configuration, built on first use.</summary>
public sealed class ModelPreset
{
    readonly Lazy<ModelConfig> model;

    internal ModelPreset(string name, string? hfId, Func<ModelConfig> build)
    {
        Name = name;
        HfId = hfId;
        model = new Lazy<ModelConfig>(build);
    }

    /// <summary>Short name, e.g. <c>qwen3-8b</c> (also the built model's <see cref="ModelConfig.Name"/>).</summary>
    public string Name { get; }

    /// <summary>Hugging Face id, e.g. <c>Qwen/Qwen3-8B</c>, or null.</summary>
    public string? HfId { get; }

    /// <summary>The configuration (one object per preset, so the planner's per-model caches are shared).</summary>
    public ModelConfig Model => model.Value;

    /// <summary>Whether <paramref name="name"/> is this preset's short name or Hugging Face id (case-insensitive).</summary>
    public bool Matches(string name) =>
        string.Equals(Name, name, StringComparison.OrdinalIgnoreCase) || (HfId is not null && string.Equals(HfId, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>Built-in model shapes, selectable with <c>--model</c> by short name or Hugging Face id.</summary>
public static class ModelPresets
{
    /// <summary>
    /// The GaLore paper's LLaMA pre-training configs (Zhao et al. 2024, arXiv 2403.03507, Table 5;
    /// <c>configs/llama_*.json</c> of the reference repository: vocab 32000, untied), the public
    /// checkpoints users fine-tune (dense and mixture-of-experts), and a tiny grouped-query model for tests. The public checkpoints after the first
    /// block are written as the values of their <c>config.json</c> on the Hugging Face Hub (the fields the planner reads)
    /// and read by their family's parser, exactly as that file would be; each is parsed when first used, so that
    /// <c>fit</c> with a Llama preset never loads the JSON reader.
    /// </summary>
    public static IReadOnlyList<ModelPreset> Catalog { get; } =
    [
        Built("llama-60m", null, () => ModelConfig.Llama("llama-60m", 32000, 512, 1376, 8, 8, maxPositions: 1024)),
        Built("llama-130m", null, () => ModelConfig.Llama("llama-130m", 32000, 768, 2048, 12, 12, maxPositions: 1024)),
        Built("llama-350m", null, () => ModelConfig.Llama("llama-350m", 32000, 1024, 2736, 24, 16, maxPositions: 1024)),
        Built("llama-1b", null, () => ModelConfig.Llama("llama-1b", 32000, 2048, 5461, 24, 32, maxPositions: 1024)),
        Built("llama-7b", null, () => ModelConfig.Llama("llama-7b", 32000, 4096, 11008, 32, 32, maxPositions: 2048)),
        Built("llama-2-7b", "meta-llama/Llama-2-7b-hf", () => ModelConfig.Llama("llama-2-7b", 32000, 4096, 11008, 32, 32, maxPositions: 4096)),
        Built("llama-2-13b", "meta-llama/Llama-2-13b-hf", () => ModelConfig.Llama("llama-2-13b", 32000, 5120, 13824, 40, 40, maxPositions: 4096)),
        Built("mistral-7b", "mistralai/Mistral-7B-v0.1", () => ModelConfig.Llama("mistral-7b", 32000, 4096, 14336, 32, 32, kvHeads: 8, family: ModelFamilies.Mistral, maxPositions: 32768)),
        Built("llama-3-8b", "meta-llama/Meta-Llama-3-8B", () => ModelConfig.Llama("llama-3-8b", 128256, 4096, 14336, 32, 32, kvHeads: 8, maxPositions: 8192)),
        Built("qwen2.5-7b", "Qwen/Qwen2.5-7B", () => ModelConfig.Llama("qwen2.5-7b", 152064, 3584, 18944, 28, 28, kvHeads: 4, family: ModelFamilies.Qwen2,
            qkvBias: true, maxPositions: 32768)),
        Built("tiny", null, () => ModelConfig.Llama("tiny", 512, 64, 176, 2, 4, kvHeads: 2, maxPositions: 512)),

        // Llama 3.1 / 3.2 (rope_scaling "llama3" rescales frequencies only).
        Hub("llama-3.1-8b", "meta-llama/Llama-3.1-8B", """{"model_type":"llama","vocab_size":128256,"hidden_size":4096,"intermediate_size":14336,"num_hidden_layers":32,"num_attention_heads":32,"num_key_value_heads":8,"max_position_embeddings":131072,"tie_word_embeddings":false}"""),
        Built("llama-2-70b", "meta-llama/Llama-2-70b-hf", () => ModelConfig.Llama("llama-2-70b", 32000, 8192, 28672, 80, 64, kvHeads: 8, maxPositions: 4096)),
        Hub("llama-3.1-70b", "meta-llama/Llama-3.1-70B", """{"model_type":"llama","vocab_size":128256,"hidden_size":8192,"intermediate_size":28672,"num_hidden_layers":80,"num_attention_heads":64,"num_key_value_heads":8,"max_position_embeddings":131072,"tie_word_embeddings":false}"""),
        Hub("llama-3.2-1b", "meta-llama/Llama-3.2-1B", """{"model_type":"llama","vocab_size":128256,"hidden_size":2048,"intermediate_size":8192,"num_hidden_layers":16,"num_attention_heads":32,"num_key_value_heads":8,"head_dim":64,"max_position_embeddings":131072,"tie_word_embeddings":true}"""),
        Hub("llama-3.2-3b", "meta-llama/Llama-3.2-3B", """{"model_type":"llama","vocab_size":128256,"hidden_size":3072,"intermediate_size":8192,"num_hidden_layers":28,"num_attention_heads":24,"num_key_value_heads":8,"head_dim":128,"max_position_embeddings":131072,"tie_word_embeddings":true}"""),

        // Qwen3: head_dim 128 throughout; rope_theta 1e6; no sliding window.
        Hub("qwen3-0.6b", "Qwen/Qwen3-0.6B", Qwen3(1024, 3072, 28, 16, 8, tied: true)),
        Hub("qwen3-4b", "Qwen/Qwen3-4B", Qwen3(2560, 9728, 36, 32, 8, tied: true)),
        Hub("qwen3-8b", "Qwen/Qwen3-8B", Qwen3(4096, 12288, 36, 32, 8, tied: false)),
        Hub("qwen3-14b", "Qwen/Qwen3-14B", Qwen3(5120, 17408, 40, 40, 8, tied: false)),
        Hub("qwen3-32b", "Qwen/Qwen3-32B", Qwen3(5120, 25600, 64, 64, 8, tied: false)),

        // Gemma 2: every other layer slides over 4,096 tokens; soft-caps 50 (attention) and 30 (logits).
        Hub("gemma-2-2b", "google/gemma-2-2b", Gemma2(2304, 9216, 26, 8, 4, 256, 256)),
        Hub("gemma-2-9b", "google/gemma-2-9b", Gemma2(3584, 14336, 42, 16, 8, 256, 256)),
        Hub("gemma-2-27b", "google/gemma-2-27b", Gemma2(4608, 36864, 46, 32, 16, 128, 144)),

        // Gemma 3 text models (five sliding layers per global one). The 4B and 12B checkpoints are multimodal
        // (Gemma3ForConditionalGeneration): these presets are their text_config alone, so they carry no Hub id.
        Hub("gemma-3-1b", "google/gemma-3-1b-pt", Gemma3(262144, 1152, 6912, 26, 4, 1, 512, 32768)),
        Hub("gemma-3-4b-text", null, Gemma3(262208, 2560, 10240, 34, 8, 4, 1024, 131072)),
        Hub("gemma-3-12b-text", null, Gemma3(262208, 3840, 15360, 48, 16, 8, 1024, 131072)),

        // Phi-3 (4k context; a 2,047-token sliding window on every layer).
        Hub("phi-3-mini", "microsoft/Phi-3-mini-4k-instruct", """{"model_type":"phi3","vocab_size":32064,"hidden_size":3072,"intermediate_size":8192,"num_hidden_layers":32,"num_attention_heads":32,"num_key_value_heads":32,"max_position_embeddings":4096,"original_max_position_embeddings":4096,"sliding_window":2047,"rms_norm_eps":1e-05,"resid_pdrop":0.0,"embd_pdrop":0.0,"attention_dropout":0.0,"tie_word_embeddings":false}"""),
        Hub("phi-3-medium", "microsoft/Phi-3-medium-4k-instruct", """{"model_type":"phi3","vocab_size":32064,"hidden_size":5120,"intermediate_size":17920,"num_hidden_layers":40,"num_attention_heads":40,"num_key_value_heads":10,"max_position_embeddings":4096,"original_max_position_embeddings":4096,"sliding_window":2047,"rms_norm_eps":1e-05,"resid_pdrop":0.0,"embd_pdrop":0.0,"attention_dropout":0.0,"tie_word_embeddings":false}"""),

        // OLMo 2 (November 2024 release).
        Hub("olmo-2-7b", "allenai/OLMo-2-1124-7B", """{"model_type":"olmo2","vocab_size":100352,"hidden_size":4096,"intermediate_size":11008,"num_hidden_layers":32,"num_attention_heads":32,"num_key_value_heads":32,"max_position_embeddings":4096,"rms_norm_eps":1e-06,"attention_bias":false,"tie_word_embeddings":false}"""),
        Hub("olmo-2-13b", "allenai/OLMo-2-1124-13B", """{"model_type":"olmo2","vocab_size":100352,"hidden_size":5120,"intermediate_size":13824,"num_hidden_layers":40,"num_attention_heads":40,"num_key_value_heads":40,"max_position_embeddings":4096,"rms_norm_eps":1e-06,"attention_bias":false,"tie_word_embeddings":false}"""),

        // GPT-2 (124M) and a Pythia model (GPT-NeoX).
        Hub("gpt2", "openai-community/gpt2", """{"model_type":"gpt2","vocab_size":50257,"n_positions":1024,"n_embd":768,"n_layer":12,"n_head":12,"n_inner":null,"activation_function":"gelu_new","resid_pdrop":0.1,"embd_pdrop":0.1,"attn_pdrop":0.1,"layer_norm_epsilon":1e-05}"""),
        Hub("pythia-1b", "EleutherAI/pythia-1b", """{"model_type":"gpt_neox","vocab_size":50304,"hidden_size":2048,"intermediate_size":8192,"num_hidden_layers":16,"num_attention_heads":8,"max_position_embeddings":2048,"rotary_pct":0.25,"rotary_emb_base":10000,"use_parallel_residual":true,"hidden_act":"gelu","attention_dropout":0.0,"hidden_dropout":0.0,"tie_word_embeddings":false}"""),

        // Mixture of experts (config.json of each checkpoint; counts in ParameterCountTests).
        Built("mixtral-8x7b", "mistralai/Mixtral-8x7B-v0.1", () => Moe("mixtral-8x7b", ModelFamilies.Mixtral, 32000, 4096, 14336, 32, 32, 8, 128, 32768,
            new MoeConfig(8, 2, 14336, 0, 1, [], NormTopKProb: true))),
        Built("qwen3-30b-a3b", "Qwen/Qwen3-30B-A3B", () => Moe("qwen3-30b-a3b", ModelFamilies.Qwen3Moe, 151936, 2048, 6144, 48, 32, 4, 128, 40960,
            new MoeConfig(128, 8, 768, 0, 1, [], NormTopKProb: true))),
        Built("qwen1.5-moe-a2.7b", "Qwen/Qwen1.5-MoE-A2.7B", () => Moe("qwen1.5-moe-a2.7b", ModelFamilies.Qwen2Moe, 151936, 2048, 5632, 24, 16, 16, 128, 8192,
            new MoeConfig(60, 4, 1408, 5632, 1, [], NormTopKProb: false), qkvBias: true)),
        Built("olmoe-1b-7b", "allenai/OLMoE-1B-7B-0924", () => Moe("olmoe-1b-7b", ModelFamilies.Olmoe, 50304, 2048, 1024, 16, 16, 16, 128, 4096,
            new MoeConfig(64, 8, 1024, 0, 1, [], NormTopKProb: false))),
    ];

    static string Qwen3(int hidden, int intermediate, int layers, int heads, int kvHeads, bool tied) =>
        $$"""{"model_type":"qwen3","vocab_size":151936,"hidden_size":{{hidden}},"intermediate_size":{{intermediate}},"num_hidden_layers":{{layers}},"num_attention_heads":{{heads}},"num_key_value_heads":{{kvHeads}},"head_dim":128,"max_position_embeddings":40960,"max_window_layers":{{layers}},"use_sliding_window":false,"sliding_window":null,"attention_bias":false,"tie_word_embeddings":{{(tied ? "true" : "false")}}}""";

    static string Gemma2(int hidden, int intermediate, int layers, int heads, int kvHeads, int headDim, int queryPreAttnScalar) =>
        $$"""{"model_type":"gemma2","vocab_size":256000,"hidden_size":{{hidden}},"intermediate_size":{{intermediate}},"num_hidden_layers":{{layers}},"num_attention_heads":{{heads}},"num_key_value_heads":{{kvHeads}},"head_dim":{{headDim}},"query_pre_attn_scalar":{{queryPreAttnScalar}},"max_position_embeddings":8192,"sliding_window":4096,"attn_logit_softcapping":50.0,"final_logit_softcapping":30.0,"hidden_activation":"gelu_pytorch_tanh"}""";

    static string Gemma3(int vocab, int hidden, int intermediate, int layers, int heads, int kvHeads, int window, int maxPositions) =>
        $$"""{"model_type":"gemma3_text","vocab_size":{{vocab}},"hidden_size":{{hidden}},"intermediate_size":{{intermediate}},"num_hidden_layers":{{layers}},"num_attention_heads":{{heads}},"num_key_value_heads":{{kvHeads}},"head_dim":256,"query_pre_attn_scalar":256,"max_position_embeddings":{{maxPositions}},"sliding_window":{{window}},"sliding_window_pattern":6,"attn_logit_softcapping":null,"final_logit_softcapping":null,"hidden_activation":"gelu_pytorch_tanh"}""";

    static ModelPreset Built(string name, string? hfId, Func<ModelConfig> build) => new(name, hfId, build);

    static ModelPreset Hub(string name, string? hfId, string configJson) => new(name, hfId, () => HfConfigLoader.Parse(configJson, name));

    static readonly Lazy<IReadOnlyList<ModelConfig>> all = new(() => Catalog.Select(p => p.Model).ToArray());

    /// <summary>Every preset's configuration (parses them all: for listings and reports, not the fit path).</summary>
    public static IReadOnlyList<ModelConfig> All => all.Value;

    /// <summary>Finds a preset by short name or Hugging Face id (case-insensitive); null when there is none.</summary>
    public static ModelConfig? Find(string name)
    {
        foreach (var p in Catalog)
            if (p.Matches(name)) return p.Model;
        return null;
    }

    /// <summary>The models <c>report</c> covers by default: the GaLore paper's sizes and the common 7–9B checkpoints.</summary>
    public static IReadOnlyList<string> ReportDefaults { get; } =
    [
        "llama-60m", "llama-130m", "llama-350m", "llama-1b", "llama-7b", "llama-2-7b", "llama-2-13b", "mistral-7b", "llama-3-8b",
        "llama-3.1-8b", "qwen2.5-7b", "qwen3-8b", "gemma-2-9b", "mixtral-8x7b", "llama-2-70b", "llama-3.1-70b",
    ];

    /// <summary>A mixture-of-experts preset, untied, with an explicit head_dim.</summary>
    static ModelConfig Moe(string name, ModelFamily family, int vocab, int hidden, int intermediate, int layers, int heads, int kvHeads,
        int headDim, int maxPositions, MoeConfig moe, bool qkvBias = false) =>
        new ModelConfig(name, family, vocab, hidden, intermediate, layers, heads, kvHeads, headDim, TieWordEmbeddings: false,
            QkvBias: qkvBias, OutputBias: false, MlpBias: false, maxPositions) { Moe = moe }.Validate();

    /// <summary>The presets' short names, comma-separated (for messages).</summary>
    public static string Names => string.Join(", ", Catalog.Select(p => p.Name));
}
