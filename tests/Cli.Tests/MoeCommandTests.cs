using System.Text.Json;
using GaLore.Cli.Tests.Reports;

namespace GaLore.Cli.Tests;

/// <summary>fit, models, sweep and report answer for the mixture-of-experts families, by preset or Hugging Face id, in
/// both transformers layouts; bad MoE input is one line and exit code 2.</summary>
public class MoeCommandTests
{
    [Theory]
    [InlineData("mixtral-8x7b", 46_702_792_704L)]
    [InlineData("mistralai/Mixtral-8x7B-v0.1", 46_702_792_704L)]
    [InlineData("Qwen/Qwen3-30B-A3B", 30_532_122_624L)]
    [InlineData("qwen1.5-moe-a2.7b", 14_315_784_192L)]
    [InlineData("allenai/OLMoE-1B-7B-0924", 6_919_161_856L)]
    public void Fit_answers_for_every_moe_family_in_both_layouts(string model, long parameters)
    {
        long? previous = null;
        foreach (var version in new[] { "5", "4" })
        {
            var (exit, output, error) = CliRunner.Run("fit", "--model", model, "--gpu", "h200", "--transformers", version, "--json");
            Assert.True(exit is 0 or 1, error);   // 0 fits, 1 does not: an answer either way
            using var doc = JsonDocument.Parse(output);
            var root = doc.RootElement;
            Assert.Equal(exit == 0, root.GetProperty("fits").GetBoolean());
            Assert.Equal(parameters, root.GetProperty("parameters").GetInt64());
            Assert.True(root.GetProperty("peak_bytes").GetInt64() > 2 * parameters, model); // bf16 weights alone are 2 bytes each
            long galore = root.GetProperty("galore_parameters").GetInt64();
            if (previous is { } five && !model.Contains("ixtral", StringComparison.Ordinal))
                Assert.True(galore > five, $"{model}: 4.x projects the experts' Linears with attn,mlp ({galore} vs {five})");
            previous = galore;
        }
    }

    [Fact]
    public void Models_describes_a_moe_config()
    {
        var dir = Directory.CreateTempSubdirectory("galore-moe");
        try
        {
            var path = Path.Combine(dir.FullName, "config.json");
            File.WriteAllText(path, """{ "model_type": "qwen3_moe", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 100, "num_experts": 8, "num_experts_per_tok": 2, "moe_intermediate_size": 32 }""");
            var (exit, output, _) = CliRunner.Run("models", "--config", path, "--json");
            Assert.Equal(0, exit);
            using var doc = JsonDocument.Parse(output);
            Assert.Equal(8, doc.RootElement.GetProperty("num_experts").GetInt32());
            Assert.Equal("qwen3_moe", doc.RootElement.GetProperty("family").GetString());
            var (_, text, _) = CliRunner.Run("models");
            Assert.Contains("8 × 14336, top-2", text);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void Sweep_answers_for_a_moe_model()
    {
        var (exit, output, error) = CliRunner.Run("sweep", "-m", "olmoe-1b-7b", "-o", "galore_adamw_8bit_layerwise", "-g", "rtx-4090",
            "--vary", "rank=64..128,batch=1..4,seq=256..512", "--json");
        Assert.True(exit == 0, error);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
    }

    [Fact]
    public void Report_covers_moe_models_and_its_default_list_includes_mixtral()
    {
        Assert.Contains("mixtral-8x7b", GaLore.Planner.Models.ModelPresets.ReportDefaults);
        using var dir = new ReportFolder();
        var (exit, _, error) = CliRunner.Run("report", "--models", "mixtral-8x7b,qwen3-30b-a3b,qwen1.5-moe-a2.7b,olmoe-1b-7b",
            "--optims", "adamw,galore_adamw_8bit_layerwise", "--gpu", "h200", "--out", dir.Path);
        Assert.True(exit == 0, error);
        var (header, rows) = ReportFolder.ReadCsv(dir["capacity.csv"]);
        var models = rows.Select(r => r[Array.IndexOf(header, "model")]).Distinct().ToList();
        foreach (var m in new[] { "mixtral-8x7b", "qwen3-30b-a3b", "qwen1.5-moe-a2.7b", "olmoe-1b-7b" }) Assert.Contains(m, models);
        var olmoe = rows.Single(r => r[Array.IndexOf(header, "model")] == "olmoe-1b-7b" && r[Array.IndexOf(header, "optimizer")] == "adamw");
        Assert.Equal("true", olmoe[Array.IndexOf(header, "valid")]);
    }

    [Theory]
    [InlineData("unknown --transformers '3'", "fit", "--model", "mixtral-8x7b", "--transformers", "3")]
    [InlineData("field 'quantization_config' is not supported", "fit", "--model", "CONFIG")]
    public void Bad_moe_input_is_one_line_and_exit_code_2(string fragment, params string[] args)
    {
        var dir = Directory.CreateTempSubdirectory("galore-moe");
        try
        {
            var path = Path.Combine(dir.FullName, "config.json");
            File.WriteAllText(path, """{ "model_type": "mixtral", "quantization_config": { "quant_method": "bitsandbytes", "load_in_4bit": true } }""");
            var (exit, output, error) = CliRunner.Run(args.Select(a => a == "CONFIG" ? path : a).ToArray());
            Assert.Equal(2, exit);
            Assert.Equal("", output);
            Assert.Contains(fragment, error);
            Assert.Single(error.TrimEnd('\n').Split('\n'));
        }
        finally { dir.Delete(true); }
    }
}
