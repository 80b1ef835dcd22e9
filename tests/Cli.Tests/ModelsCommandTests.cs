using System.Text.Json;

namespace GaLore.Cli.Tests;

public class ModelsCommandTests
{
    [Fact]
    public void Config_json_reports_parameters_and_galore_parameters()
    {
        var dir = Directory.CreateTempSubdirectory("galore-models");
        try
        {
            var path = Path.Combine(dir.FullName, "config.json");
            File.WriteAllText(path, """{"model_type":"llama","hidden_size":4096,"intermediate_size":11008,"num_hidden_layers":32,"num_attention_heads":32,"vocab_size":32000}""");
            var (exit, output, _) = CliRunner.Run("models", "--config", path, "--json");
            Assert.Equal(0, exit);
            using var doc = JsonDocument.Parse(output);
            Assert.Equal(6_738_415_616, doc.RootElement.GetProperty("parameters").GetInt64());
            // attn + mlp projections of 32 blocks: 32 · (4·4096² + 3·4096·11008)
            Assert.Equal(32L * (4L * 4096 * 4096 + 3L * 4096 * 11008), doc.RootElement.GetProperty("galore_parameters").GetInt64());
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void Listing_has_every_preset()
    {
        using var doc = JsonDocument.Parse(CliRunner.Run("models", "--json").Out);
        Assert.Equal("galore-plan.models/1", doc.RootElement.GetProperty("format").GetString());
        var names = doc.RootElement.GetProperty("models").EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToList();
        foreach (var n in new[] { "llama-60m", "llama-130m", "llama-350m", "llama-1b", "llama-7b", "llama-2-7b", "llama-2-13b", "mistral-7b", "llama-3-8b", "qwen2.5-7b", "tiny" })
            Assert.Contains(n, names);
    }

    [Fact]
    public void Gpu_catalogue_has_the_required_cards()
    {
        using var doc = JsonDocument.Parse(CliRunner.Run("gpus", "--json").Out);
        Assert.Equal("galore-plan.gpus/1", doc.RootElement.GetProperty("format").GetString());
        var names = doc.RootElement.GetProperty("gpus").EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToList();
        foreach (var n in new[] { "rtx-3060", "rtx-3090", "rtx-4060-ti-16gb", "rtx-4070-ti-super", "rtx-4080", "rtx-4090", "rtx-5090", "rtx-a6000",
                     "l4", "l40s", "t4", "v100-16gb", "v100-32gb", "a10g", "a100-40gb", "a100-80gb", "h100-80gb", "h200", "b200" })
            Assert.Contains(n, names);
        // V100 and T4 have no bf16 (compute capability below 8.0).
        foreach (var g in doc.RootElement.GetProperty("gpus").EnumerateArray())
            Assert.Equal(g.GetProperty("compute_capability").GetDouble() >= 8.0, g.GetProperty("bf16").GetBoolean());
    }
}
