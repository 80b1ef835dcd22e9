using GaLore.Planner.Models;

namespace GaLore.Profiler.Validation;

/// <summary>
/// The dense families' rows of the CPU validation matrix (<see cref="ValidationMatrix.Cpu"/>): one small model per family,
/// each read from a config.json as a user's would be, with shapes chosen to exercise what each family changes — heads that
/// are not a power of two, head_dim ≠ hidden / heads, grouped-query attention, tied and untied embeddings, sliding windows
/// shorter than the sequence (so the window masks exist), soft-capping, Conv1D and dropout, fused projections, parallel
/// residuals — across the optimizer kinds, precisions, checkpointing and both attention kinds. Every model name starts with
/// <c>dense-</c> (<c>validate --only dense-</c>). Each row measures ≥ 150 MB.
/// </summary>
public static class FamilyValidation
{
    static ModelConfig Parse(string name, string json) => HfConfigLoader.Parse(json, name);

    /// <summary>Qwen3: 6 query heads of 96 over h = 512 (576 ≠ 512), 2 K/V heads, per-head q/k norms, untied; ≈ 50 M parameters.</summary>
    public static readonly ModelConfig Qwen3 = Parse("dense-qwen3-h6x96", """{"model_type":"qwen3","vocab_size":32000,"hidden_size":512,"intermediate_size":1408,"num_hidden_layers":4,"num_attention_heads":6,"num_key_value_heads":2,"head_dim":96,"tie_word_embeddings":false}""");

    /// <summary>Gemma-2: 6 heads of 80 over h = 384, 3 K/V heads, tied, soft-caps 50/30, every other layer a 128-token window.</summary>
    public static readonly ModelConfig Gemma2 = Parse("dense-gemma2-h6x80-w128", """{"model_type":"gemma2","vocab_size":32000,"hidden_size":384,"intermediate_size":1024,"num_hidden_layers":4,"num_attention_heads":6,"num_key_value_heads":3,"head_dim":80,"query_pre_attn_scalar":80,"sliding_window":128}""");

    /// <summary>Gemma-2 with a 131,072-token vocabulary: the float32 logits and the soft-cap's three logit-sized tensors dominate.</summary>
    public static readonly ModelConfig Gemma2BigVocab = Parse("dense-gemma2-v128k", """{"model_type":"gemma2","vocab_size":131072,"hidden_size":256,"intermediate_size":768,"num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":2,"head_dim":64,"query_pre_attn_scalar":64,"sliding_window":128}""");

    /// <summary>Gemma-3 text: 5 heads of 72 over h = 320, one K/V head, per-head q/k norms, two sliding layers (96 tokens) per
    /// global one, local and global rotary tables.</summary>
    public static readonly ModelConfig Gemma3 = Parse("dense-gemma3-h5x72-w96", """{"model_type":"gemma3_text","vocab_size":32000,"hidden_size":320,"intermediate_size":960,"num_hidden_layers":4,"num_attention_heads":5,"num_key_value_heads":1,"head_dim":72,"query_pre_attn_scalar":72,"sliding_window":96,"sliding_window_pattern":3}""");

    /// <summary>Phi-3: fused qkv_proj (10 heads, 5 K/V heads of 48) and gate_up_proj, untied.</summary>
    public static readonly ModelConfig Phi3 = Parse("dense-phi3-h10-kv5", """{"model_type":"phi3","vocab_size":32064,"hidden_size":480,"intermediate_size":1280,"num_hidden_layers":4,"num_attention_heads":10,"num_key_value_heads":5}""");

    /// <summary>Phi-3 without grouped-query attention: v stays a view of qkv, so the whole fused output is kept; half-width rotary.</summary>
    public static readonly ModelConfig Phi3Mha = Parse("dense-phi3-mha-rot50", """{"model_type":"phi3","vocab_size":32064,"hidden_size":480,"intermediate_size":1280,"num_hidden_layers":4,"num_attention_heads":6,"partial_rotary_factor":0.5}""");

    /// <summary>OLMo-2: post-norms, q/k norms over 12 heads of 40, float32 rotary, untied.</summary>
    public static readonly ModelConfig Olmo2 = Parse("dense-olmo2-h12x40", """{"model_type":"olmo2","vocab_size":32000,"hidden_size":480,"intermediate_size":1280,"num_hidden_layers":4,"num_attention_heads":12}""");

    /// <summary>GPT-2: 9 heads of 64, 512 positions, Conv1D projections, gelu_new, dropout 0.1 everywhere, tied.</summary>
    public static readonly ModelConfig Gpt2 = Parse("dense-gpt2-h9", """{"model_type":"gpt2","vocab_size":32000,"n_positions":512,"n_embd":576,"n_layer":4,"n_head":9}""");

    /// <summary>GPT-NeoX: parallel residual, rotary on a quarter of each of 7 heads of 64, biases, untied.</summary>
    public static readonly ModelConfig NeoX = Parse("dense-neox-h7-par", """{"model_type":"gpt_neox","vocab_size":32000,"hidden_size":448,"intermediate_size":1792,"num_hidden_layers":4,"num_attention_heads":7,"max_position_embeddings":1024}""");

    /// <summary>GPT-NeoX with sequential residuals, tied embeddings and no attention biases.</summary>
    public static readonly ModelConfig NeoXSequential = Parse("dense-neox-seq-tied", """{"model_type":"gpt_neox","vocab_size":32000,"hidden_size":512,"intermediate_size":2048,"num_hidden_layers":4,"num_attention_heads":8,"use_parallel_residual":false,"attention_bias":false,"tie_word_embeddings":true,"rotary_pct":0.5,"max_position_embeddings":1024}""");

    /// <summary>A family's model with a 4,096-token vocabulary, so the loss head no longer dominates and the peak moves into
    /// the blocks (their saved activations at the end of forward, a block's backward, a layerwise update inside it).</summary>
    static ModelConfig SmallVocab(ModelConfig m) => m with { Name = m.Name + "-v4k", VocabSize = 4096 };

    /// <summary>The rows. GaLore rows keep refreshes out of the measured window (the refresh is family-independent and the main
    /// matrix measures it) except for Qwen3's and Phi-3's, whose projected shapes (fused ones, for Phi-3) are the family's.</summary>
    public static IReadOnlyList<ValidationCase> Rows() =>
    [
        // Qwen3: per-head q/k norms, head_dim ≠ hidden / heads.
        ValidationCase.Of(Qwen3, "adamw", "bf16", 4, 256),
        ValidationCase.Of(Qwen3, "galore_adamw_8bit", "bf16", 4, 256),
        ValidationCase.Of(Qwen3, "adamw_8bit_layerwise", "mixed", 2, 256, attention: "math"),
        // Gemma-2: window masks (256 > 128) under SDPA, soft-caps; eager attention soft-caps the scores.
        ValidationCase.Of(Gemma2, "adamw", "bf16", 4, 256),
        ValidationCase.Of(Gemma2, "galore_adamw", "bf16", 2, 256, attention: "math", measureRefresh: false),
        ValidationCase.Of(Gemma2, "adafactor_layerwise", "bf16", 2, 512, checkpointing: true),
        ValidationCase.Of(Gemma2BigVocab, "galore_adamw_8bit_layerwise", "bf16", 2, 256, measureRefresh: false),
        // Gemma-3: q/k norms, local and global rotary tables, two window layers per global one.
        ValidationCase.Of(Gemma3, "galore_adamw_layerwise", "bf16", 4, 256, measureRefresh: false),
        ValidationCase.Of(Gemma3, "adafactor", "bf16", 2, 256, attention: "math"),
        // Phi-3: GaLore projects the fused shapes.
        ValidationCase.Of(Phi3, "galore_adamw", "bf16", 4, 256),
        ValidationCase.Of(Phi3, "adamw_layerwise", "bf16", 2, 256, checkpointing: true),
        ValidationCase.Of(Phi3Mha, "galore_adafactor", "bf16", 4, 256, measureRefresh: false),
        ValidationCase.Of(Phi3Mha, "adamw_8bit", "bf16", 2, 256, attention: "math"),
        // OLMo-2.
        ValidationCase.Of(Olmo2, "adamw", "fp32", 1, 256),
        ValidationCase.Of(Olmo2, "galore_adamw_8bit_layerwise", "bf16", 4, 256, checkpointing: true, measureRefresh: false),
        ValidationCase.Of(Olmo2, "galore_adafactor", "mixed", 2, 256, measureRefresh: false),
        // GPT-2: Conv1D (GaLore selects nothing: the base optimizers), dropout masks; SDPA with dropout runs libtorch's math path.
        ValidationCase.Of(Gpt2, "adamw", "bf16", 4, 256),
        ValidationCase.Of(Gpt2, "adafactor", "bf16", 2, 256, attention: "math"),
        ValidationCase.Of(Gpt2, "adamw_8bit_layerwise", "bf16", 2, 512, checkpointing: true),
        ValidationCase.Of(Gpt2, "adamw_layerwise", "mixed", 2, 256, attention: "math"),
        // GPT-NeoX: default targets match only the MLP (its attention module is "attention").
        ValidationCase.Of(NeoX, "galore_adamw", "bf16", 4, 256, measureRefresh: false),
        ValidationCase.Of(NeoX, "adafactor_layerwise", "bf16", 2, 256, attention: "math"),
        ValidationCase.Of(NeoXSequential, "galore_adamw_8bit", "bf16", 4, 256, checkpointing: true, measureRefresh: false),
        ValidationCase.Of(NeoXSequential, "adamw", "mixed", 2, 256),
        // Smaller vocabularies: the blocks' saved activations make most of the peak, and under checkpointing the peak moves
        // into a recomputed block's backward.
        ValidationCase.Of(SmallVocab(Qwen3), "galore_adamw", "fp32", 4, 256, checkpointing: true, measureRefresh: false),
        ValidationCase.Of(SmallVocab(Gemma2), "adamw", "fp32", 4, 512, checkpointing: true, attention: "math"),
        ValidationCase.Of(SmallVocab(Phi3Mha), "galore_adamw_8bit_layerwise", "fp32", 4, 256, measureRefresh: false),
        ValidationCase.Of(SmallVocab(Olmo2), "adamw", "fp32", 4, 256, checkpointing: true),
        ValidationCase.Of(SmallVocab(Gpt2), "adafactor", "fp32", 4, 256, checkpointing: true),
        ValidationCase.Of(SmallVocab(NeoX), "adamw", "fp32", 4, 256, checkpointing: true, attention: "math"),
    ];
}
