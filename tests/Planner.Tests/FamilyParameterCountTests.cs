using GaLore.Planner.Models;

namespace GaLore.Planner.Tests;

/// <summary>The dense families' parameter tables: published counts of the public checkpoints, hand-derived counts and
/// Hugging Face's names in <c>named_parameters()</c> order for one small configuration of each family.</summary>
public class FamilyParameterCountTests
{
    // Public figures: model.num_parameters() of the Hub checkpoints (model cards / safetensors metadata).
    [Theory]
    [InlineData("Qwen/Qwen3-8B", 8_190_735_360L)]
    [InlineData("qwen3-0.6b", 596_049_920L)]
    [InlineData("google/gemma-2-9b", 9_241_705_984L)]
    [InlineData("microsoft/Phi-3-mini-4k-instruct", 3_821_079_552L)]
    [InlineData("openai-community/gpt2", 124_439_808L)]
    [InlineData("meta-llama/Llama-3.2-1B", 1_235_814_400L)]
    [InlineData("meta-llama/Llama-3.1-8B", 8_030_261_248L)]
    [InlineData("meta-llama/Llama-3.1-70B", 70_553_706_496L)]
    public void Public_checkpoints_have_their_published_parameter_counts(string model, long expected) =>
        Assert.Equal(expected, ParameterCountTests.Count(ModelResolver.Resolve(model)));

    [Fact]
    public void Presets_resolve_by_short_name_and_by_hugging_face_id_case_insensitively()
    {
        Assert.Same(ModelResolver.Resolve("qwen3-8b"), ModelResolver.Resolve("Qwen/Qwen3-8B"));
        Assert.Same(ModelResolver.Resolve("QWEN/qwen3-8b"), ModelResolver.Resolve("Qwen3-8B"));
        Assert.Equal("gemma-2-9b", ModelResolver.Resolve("google/gemma-2-9b").Name);
        foreach (var p in ModelPresets.Catalog) p.Model.Validate();
        Assert.Equal(ModelPresets.Catalog.Count, ModelPresets.Catalog.Select(p => p.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.All(ModelPresets.ReportDefaults, n => Assert.NotNull(ModelPresets.Find(n)));
        Assert.Contains("qwen3-8b", ModelPresets.ReportDefaults);
        Assert.Contains("gemma-2-9b", ModelPresets.ReportDefaults);
    }

    [Fact]
    public void A_preset_and_its_config_json_give_the_same_layout()
    {
        var preset = ModelResolver.Resolve("qwen3-8b");
        var file = HfConfigLoader.Parse("""
            { "architectures": ["Qwen3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0, "bos_token_id": 151643,
              "eos_token_id": 151645, "head_dim": 128, "hidden_act": "silu", "hidden_size": 4096, "initializer_range": 0.02,
              "intermediate_size": 12288, "max_position_embeddings": 40960, "max_window_layers": 36, "model_type": "qwen3",
              "num_attention_heads": 32, "num_hidden_layers": 36, "num_key_value_heads": 8, "rms_norm_eps": 1e-06,
              "rope_scaling": null, "rope_theta": 1000000, "sliding_window": null, "tie_word_embeddings": false,
              "torch_dtype": "bfloat16", "transformers_version": "4.51.0", "use_cache": true, "use_sliding_window": false, "vocab_size": 151936 }
            """, "qwen3-8b");
        Assert.Equal(preset, file);
        Assert.Equal(ParameterTable.Build(preset), ParameterTable.Build(file));
    }

    static IReadOnlyList<ParameterTensor> Table(string json) => ParameterTable.Build(HfConfigLoader.Parse(json, "small"));

    static string[] Layer0(IReadOnlyList<ParameterTensor> t) => t.Where(x => x.Layer == 0).Select(x => $"{x.Name} {x.Rows}x{x.Cols}").ToArray();

    [Fact]
    public void Qwen3_small_config_counts_by_hand_with_per_head_qk_norms_and_head_dim_apart_from_hidden()
    {
        // h 96, 6 query heads and 2 K/V heads of d = 20 (6·20 = 120 ≠ 96), i 200, 3 layers, V 1000, biases, untied.
        var t = Table("""{ "model_type": "qwen3", "vocab_size": 1000, "hidden_size": 96, "intermediate_size": 200, "num_hidden_layers": 3, "num_attention_heads": 6, "num_key_value_heads": 2, "head_dim": 20, "attention_bias": true }""");
        long layer = 120 * 96 + 120      // q_proj + bias
                   + 2 * (40 * 96 + 40)  // k_proj, v_proj + biases
                   + 96 * 120 + 96       // o_proj + bias
                   + 20 + 20             // q_norm, k_norm (head_dim)
                   + 3 * 200 * 96        // gate, up, down
                   + 2 * 96;             // input_layernorm, post_attention_layernorm
        Assert.Equal(1000 * 96 + 3 * layer + 96 + 1000 * 96, t.Sum(x => x.Elements));
        Assert.Equal(
        [
            "model.layers.0.self_attn.q_proj.weight 120x96", "model.layers.0.self_attn.q_proj.bias 120x1",
            "model.layers.0.self_attn.k_proj.weight 40x96", "model.layers.0.self_attn.k_proj.bias 40x1",
            "model.layers.0.self_attn.v_proj.weight 40x96", "model.layers.0.self_attn.v_proj.bias 40x1",
            "model.layers.0.self_attn.o_proj.weight 96x120", "model.layers.0.self_attn.o_proj.bias 96x1",
            "model.layers.0.self_attn.q_norm.weight 20x1", "model.layers.0.self_attn.k_norm.weight 20x1",
            "model.layers.0.mlp.gate_proj.weight 200x96", "model.layers.0.mlp.up_proj.weight 200x96", "model.layers.0.mlp.down_proj.weight 96x200",
            "model.layers.0.input_layernorm.weight 96x1", "model.layers.0.post_attention_layernorm.weight 96x1",
        ], Layer0(t));
    }

    [Fact]
    public void Gemma2_and_gemma3_small_configs_count_by_hand_with_four_norms_and_tied_embeddings()
    {
        // h 72, 3 query heads and 1 K/V head of d = 32 (3·32 = 96 ≠ 72), i 144, 4 layers, V 500, tied by default.
        const string shape = """ "vocab_size": 500, "hidden_size": 72, "intermediate_size": 144, "num_hidden_layers": 4, "num_attention_heads": 3, "num_key_value_heads": 1, "head_dim": 32 """;
        long gemma2Layer = 96 * 72 + 2 * 32 * 72 + 72 * 96 // q, k, v, o
                         + 3 * 144 * 72                   // gate, up, down
                         + 4 * 72;                        // input, post_attention, pre_feedforward, post_feedforward norms
        var g2 = Table("{ \"model_type\": \"gemma2\", " + shape + "}");
        Assert.Equal(500 * 72 + 4 * gemma2Layer + 72, g2.Sum(x => x.Elements));
        Assert.DoesNotContain(g2, x => x.Name == "lm_head.weight");
        var g3 = Table("{ \"model_type\": \"gemma3_text\", " + shape + "}");
        Assert.Equal(500 * 72 + 4 * (gemma2Layer + 2 * 32) + 72, g3.Sum(x => x.Elements)); // + q_norm, k_norm (head_dim)
        Assert.Equal(
        [
            "model.layers.0.self_attn.q_proj.weight 96x72", "model.layers.0.self_attn.k_proj.weight 32x72",
            "model.layers.0.self_attn.v_proj.weight 32x72", "model.layers.0.self_attn.o_proj.weight 72x96",
            "model.layers.0.self_attn.q_norm.weight 32x1", "model.layers.0.self_attn.k_norm.weight 32x1",
            "model.layers.0.mlp.gate_proj.weight 144x72", "model.layers.0.mlp.up_proj.weight 144x72", "model.layers.0.mlp.down_proj.weight 72x144",
            "model.layers.0.input_layernorm.weight 72x1", "model.layers.0.post_attention_layernorm.weight 72x1",
            "model.layers.0.pre_feedforward_layernorm.weight 72x1", "model.layers.0.post_feedforward_layernorm.weight 72x1",
        ], Layer0(g3));
    }

    [Fact]
    public void Phi3_small_config_counts_by_hand_with_fused_qkv_and_gate_up_registered_after_o_proj()
    {
        // h 80, 5 query heads, 1 K/V head, d = 16, i 112, 2 layers, V 300.
        var t = Table("""{ "model_type": "phi3", "vocab_size": 300, "hidden_size": 80, "intermediate_size": 112, "num_hidden_layers": 2, "num_attention_heads": 5, "num_key_value_heads": 1 }""");
        long layer = 80 * 80                 // o_proj
                   + (80 + 2 * 16) * 80      // qkv_proj: (heads + 2·kv_heads)·d rows
                   + 2 * 112 * 80 + 80 * 112 // gate_up_proj, down_proj
                   + 2 * 80;                 // two norms
        Assert.Equal(2 * 300 * 80 + 2 * layer + 80, t.Sum(x => x.Elements));
        Assert.Equal(
        [
            "model.layers.0.self_attn.o_proj.weight 80x80", "model.layers.0.self_attn.qkv_proj.weight 112x80",
            "model.layers.0.mlp.gate_up_proj.weight 224x80", "model.layers.0.mlp.down_proj.weight 80x112",
            "model.layers.0.input_layernorm.weight 80x1", "model.layers.0.post_attention_layernorm.weight 80x1",
        ], Layer0(t));
    }

    [Fact]
    public void Olmo2_small_config_counts_by_hand_with_full_width_qk_norms_and_post_norms()
    {
        // h 60, 5 query heads and 5 K/V heads of d = 12, i 100, 2 layers, V 400.
        var t = Table("""{ "model_type": "olmo2", "vocab_size": 400, "hidden_size": 60, "intermediate_size": 100, "num_hidden_layers": 2, "num_attention_heads": 5 }""");
        long layer = 4 * 60 * 60   // q, k, v, o
                   + 60 + 60       // q_norm (heads·d), k_norm (kv_heads·d)
                   + 3 * 100 * 60  // gate, up, down
                   + 2 * 60;       // post_attention_layernorm, post_feedforward_layernorm
        Assert.Equal(2 * 400 * 60 + 2 * layer + 60, t.Sum(x => x.Elements));
        Assert.Contains("model.layers.0.self_attn.q_norm.weight 60x1", Layer0(t));
        Assert.DoesNotContain(t, x => x.Name.Contains("input_layernorm"));
        Assert.Equal("model.layers.0.post_feedforward_layernorm.weight 60x1", Layer0(t)[^1]);
    }

    [Fact]
    public void Gpt2_small_config_counts_by_hand_with_conv1d_weights_in_in_out_layout()
    {
        // h 48, 3 heads, 2 layers, 64 positions, V 200, n_inner null → 4h.
        var t = Table("""{ "model_type": "gpt2", "vocab_size": 200, "n_positions": 64, "n_embd": 48, "n_layer": 2, "n_head": 3 }""");
        long h = 48;
        long layer = 2 * h               // ln_1 weight, bias
                   + h * 3 * h + 3 * h   // c_attn [h, 3h] + bias
                   + h * h + h           // attn.c_proj
                   + 2 * h               // ln_2
                   + h * 4 * h + 4 * h   // c_fc [h, 4h] + bias
                   + 4 * h * h + h;      // mlp.c_proj [4h, h] + bias
        Assert.Equal(12 * h * h + 13 * h, layer);
        Assert.Equal(200 * h + 64 * h + 2 * layer + 2 * h, t.Sum(x => x.Elements));
        Assert.Equal(
        [
            "transformer.h.0.ln_1.weight 48x1", "transformer.h.0.ln_1.bias 48x1",
            "transformer.h.0.attn.c_attn.weight 48x144", "transformer.h.0.attn.c_attn.bias 144x1",
            "transformer.h.0.attn.c_proj.weight 48x48", "transformer.h.0.attn.c_proj.bias 48x1",
            "transformer.h.0.ln_2.weight 48x1", "transformer.h.0.ln_2.bias 48x1",
            "transformer.h.0.mlp.c_fc.weight 48x192", "transformer.h.0.mlp.c_fc.bias 192x1",
            "transformer.h.0.mlp.c_proj.weight 192x48", "transformer.h.0.mlp.c_proj.bias 48x1",
        ], Layer0(t));
        Assert.Equal(["transformer.wte.weight", "transformer.wpe.weight"], t.Take(2).Select(x => x.Name));
    }

    [Fact]
    public void GptNeoX_small_config_counts_by_hand_with_layer_norms_first()
    {
        // h 64, 4 heads, i 160, 2 layers, V 300, untied.
        var t = Table("""{ "model_type": "gpt_neox", "vocab_size": 300, "hidden_size": 64, "intermediate_size": 160, "num_hidden_layers": 2, "num_attention_heads": 4 }""");
        long layer = 4 * 64                  // input_layernorm, post_attention_layernorm (weight, bias)
                   + 3 * 64 * 64 + 3 * 64    // query_key_value + bias
                   + 64 * 64 + 64            // dense + bias
                   + 160 * 64 + 160          // dense_h_to_4h + bias
                   + 64 * 160 + 64;          // dense_4h_to_h + bias
        Assert.Equal(2 * 300 * 64 + 2 * layer + 2 * 64, t.Sum(x => x.Elements));
        Assert.Equal("gpt_neox.layers.0.input_layernorm.weight 64x1", Layer0(t)[0]);
        Assert.Equal("gpt_neox.layers.0.attention.query_key_value.weight 192x64", Layer0(t)[4]);
        Assert.Equal("embed_out.weight", t[^1].Name);
    }

    [Fact]
    public void Pythia_1b_counts_as_the_formula_gives()
    {
        var m = ModelResolver.Resolve("EleutherAI/pythia-1b");
        long h = 2048, i = 8192, v = 50304;
        long layer = 4 * h * h + 2 * h * i + 9 * h + i;
        Assert.Equal(2 * v * h + 16 * layer + 2 * h, ParameterCountTests.Count(m));
        Assert.Equal(64, m.RotaryWidth); // rotary_pct 0.25 of head_dim 2048 / 8 = 256
    }
}
