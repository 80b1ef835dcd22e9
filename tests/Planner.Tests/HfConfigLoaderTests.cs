using GaLore.Planner.Models;

namespace GaLore.Planner.Tests;

public class HfConfigLoaderTests
{
    // Trimmed copies of the public config.json files (only the fields the planner reads, plus noise).
    const string Qwen25_05B = """
        { "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 896, "intermediate_size": 4864,
          "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2, "vocab_size": 151936,
          "tie_word_embeddings": true, "max_position_embeddings": 32768, "rope_theta": 1000000.0, "torch_dtype": "bfloat16" }
        """;
    const string Llama3_8B = """
        { "model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
          "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256, "tie_word_embeddings": false,
          "attention_bias": false, "mlp_bias": false, "rope_scaling": null, "max_position_embeddings": 8192 }
        """;
    const string Mistral7B = """
        { "model_type": "mistral", "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
          "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 32000, "head_dim": null, "sliding_window": 4096 }
        """;

    [Fact]
    public void Qwen_with_tied_embeddings_and_qkv_biases_has_its_published_count() =>
        Assert.Equal(494_032_768L, ParameterCountTests.Count(HfConfigLoader.Parse(Qwen25_05B, "qwen2.5-0.5b")));

    [Fact]
    public void Llama3_and_Mistral_configs_match_the_presets()
    {
        Assert.Equal(8_030_261_248L, ParameterCountTests.Count(HfConfigLoader.Parse(Llama3_8B, "llama3")));
        Assert.Equal(7_241_732_096L, ParameterCountTests.Count(HfConfigLoader.Parse(Mistral7B, "mistral")));
    }

    [Fact]
    public void Explicit_head_dim_and_llama_attention_bias_are_honoured()
    {
        var m = HfConfigLoader.Parse("""
            { "model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 1,
              "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32, "vocab_size": 100, "attention_bias": true }
            """, "x");
        Assert.Equal(128, m.QueryDim);
        Assert.Equal(64, m.KeyValueDim);
        Assert.True(m.QkvBias && m.OutputBias && !m.MlpBias);
        var t = ParameterTable.Build(m);
        Assert.Contains(t, x => x.Name == "model.layers.0.self_attn.o_proj.bias" && x.Rows == 64);
        Assert.Contains(t, x => x.Name == "model.layers.0.self_attn.q_proj.weight" && x.Rows == 128 && x.Cols == 64);
    }

    [Theory]
    [InlineData("{ not json", "not valid JSON")]
    [InlineData("[1,2]", "must be a JSON object")]
    [InlineData("""{ "model_type": "falcon", "hidden_size": 1 }""", "model_type 'falcon' is not supported")]
    [InlineData("""{ "model_type": "llama", "hidden_size": 64 }""", "lacks required field")]
    [InlineData("""{ "model_type": "llama", "hidden_size": "64", "intermediate_size": 1, "num_hidden_layers": 1, "num_attention_heads": 1, "vocab_size": 1 }""", "must be an integer")]
    [InlineData("""{ "model_type": "llama", "hidden_size": 64, "intermediate_size": 1, "num_hidden_layers": 1, "num_attention_heads": 3, "num_key_value_heads": 2, "vocab_size": 1 }""", "multiple of num_key_value_heads")]
    [InlineData("""{ "model_type": "llama", "hidden_size": 64, "intermediate_size": 1, "num_hidden_layers": -1, "num_attention_heads": 4, "vocab_size": 1 }""", "must be positive")]
    public void Bad_configs_are_rejected_with_a_message_naming_the_problem(string json, string fragment)
    {
        var e = Assert.Throws<PlannerInputException>(() => HfConfigLoader.Parse(json, "bad.json"));
        Assert.Contains(fragment, e.Message);
        Assert.Contains("bad.json", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Missing_files_and_unknown_presets_are_input_errors()
    {
        Assert.Contains("not found", Assert.Throws<PlannerInputException>(() => HfConfigLoader.Load("/nonexistent/config.json")).Message);
        Assert.Contains("unknown model 'llama-9000'", Assert.Throws<PlannerInputException>(() => ModelResolver.Resolve("llama-9000")).Message);
    }

    [Fact]
    public void A_folder_resolves_to_its_config_json()
    {
        var dir = Directory.CreateTempSubdirectory("galore-cfg");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "config.json"), Llama3_8B);
            Assert.Equal(4096, ModelResolver.Resolve(dir.FullName).HiddenSize);
        }
        finally { dir.Delete(true); }
    }
}
