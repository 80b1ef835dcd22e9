using System.Text.Json;

namespace GaLore.Cli.Tests;

public class FitCommandTests
{
    [Fact]
    public void Default_fit_answers_the_7b_on_24gb_question()
    {
        var (exit, output, error) = CliRunner.Run("fit");
        Assert.Equal(0, exit);
        Assert.Equal("", error);
        Assert.Contains("llama-7b", output);
        Assert.Contains("galore_adamw_8bit_layerwise", output);
        Assert.Contains("RTX 4090", output);
        Assert.Contains("FITS", output);
        Assert.Contains("Largest batch", output);
    }

    [Fact]
    public void Json_has_the_documented_fields_and_the_breakdown_sums_to_the_peak()
    {
        var (exit, output, _) = CliRunner.Run("fit", "--model", "llama-1b", "--optim", "galore_adamw", "--gpu", "24GiB", "--json");
        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        foreach (var key in new[] { "fits", "peak_bytes", "capacity_bytes", "parameters", "max_batch", "breakdown", "galore_parameters" })
            Assert.True(root.TryGetProperty(key, out _), key);
        var b = root.GetProperty("breakdown");
        long sum = new[] { "weights", "gradients", "optimizer_states", "activations", "other" }.Sum(k => b.GetProperty(k).GetInt64());
        Assert.Equal(root.GetProperty("peak_bytes").GetInt64(), sum);
        Assert.Equal(1_339_082_752, root.GetProperty("parameters").GetInt64());
        Assert.Equal(24L << 30, root.GetProperty("capacity_bytes").GetInt64());
        Assert.Equal(root.GetProperty("peak_bytes").GetInt64() <= (24L << 30), root.GetProperty("fits").GetBoolean());
    }

    [Fact]
    public void A_run_that_does_not_fit_gets_suggestions_that_fit()
    {
        var (exit, output, _) = CliRunner.Run("fit", "--model", "llama-7b", "--optim", "adamw", "--gpu", "rtx-4090", "--json");
        Assert.Equal(1, exit);                                  // exit status 1: does not fit
        using var doc = JsonDocument.Parse(output);
        Assert.False(doc.RootElement.GetProperty("fits").GetBoolean());
        var suggestions = doc.RootElement.GetProperty("suggestions").EnumerateArray().ToList();
        Assert.NotEmpty(suggestions);
        Assert.All(suggestions, s => Assert.True(s.GetProperty("peak_bytes").GetInt64() <= doc.RootElement.GetProperty("capacity_bytes").GetInt64()));
        var text = CliRunner.Run("fit", "--model", "llama-7b", "--optim", "adamw").Out;
        Assert.Contains("DOES NOT FIT", text);
        Assert.Contains("Cheapest changes", text);
    }

    [Fact]
    public void Optim_args_and_explicit_knobs_combine_explicit_winning()
    {
        using var doc = JsonDocument.Parse(CliRunner.Run("fit", "--optim-args", "rank=64, update_proj_gap=500", "--rank", "32", "--json").Out);
        var q = doc.RootElement.GetProperty("query");
        Assert.Equal(32, q.GetProperty("rank").GetInt32());
        Assert.Equal(500, q.GetProperty("update_proj_gap").GetInt32());
    }

    [Fact]
    public void Hf_config_paths_work_as_models()
    {
        var dir = Directory.CreateTempSubdirectory("galore-cli");
        try
        {
            var path = Path.Combine(dir.FullName, "config.json");
            File.WriteAllText(path, """{"model_type":"mistral","hidden_size":4096,"intermediate_size":14336,"num_hidden_layers":32,"num_attention_heads":32,"num_key_value_heads":8,"vocab_size":32000}""");
            using var doc = JsonDocument.Parse(CliRunner.Run("fit", "--model", path, "--json").Out);
            Assert.Equal(7_241_732_096, doc.RootElement.GetProperty("parameters").GetInt64());
        }
        finally { dir.Delete(true); }
    }
}
