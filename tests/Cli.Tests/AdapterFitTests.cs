using System.Text.Json;

namespace GaLore.Cli.Tests;

public class AdapterFitTests
{
    [Fact]
    public void Json_reports_peft_trainable_parameters_for_llama_2_7b()
    {
        var (exit, output, error) = CliRunner.Run("fit", "--model", "llama-2-7b", "--peft", "lora", "--json");
        Assert.Equal(0, exit);
        Assert.Equal("", error);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal(4_194_304, root.GetProperty("trainable_parameters").GetInt64());   // peft: r 8 on q_proj, v_proj
        Assert.Equal(6_742_609_920, root.GetProperty("parameters").GetInt64());
        var q = root.GetProperty("query");
        Assert.Equal("adamw", q.GetProperty("optimizer").GetString());                      // Trainer's default optimizer with --peft
        Assert.Equal("q_proj,v_proj", q.GetProperty("peft").GetProperty("target_modules").GetString());
        using var all = JsonDocument.Parse(CliRunner.Run("fit", "--model", "llama-2-7b", "--peft", "lora", "--lora-r", "16",
            "--lora-target-modules", "all-linear", "--json").Out);
        Assert.Equal(39_976_960, all.RootElement.GetProperty("trainable_parameters").GetInt64());
        // Without --peft every parameter trains.
        using var full = JsonDocument.Parse(CliRunner.Run("fit", "--model", "llama-2-7b", "--json").Out);
        Assert.Equal(full.RootElement.GetProperty("parameters").GetInt64(), full.RootElement.GetProperty("trainable_parameters").GetInt64());
    }

    [Fact]
    public void Text_says_how_many_parameters_train_and_qlora_needs_far_less_than_lora()
    {
        var lora = CliRunner.Run("fit", "--peft", "lora", "--json").Out;
        var qlora = CliRunner.Run("fit", "--peft", "lora", "--base-quant", "nf4", "--double-quant", "--json").Out;
        long Peak(string json) { using var d = JsonDocument.Parse(json); return d.RootElement.GetProperty("peak_bytes").GetInt64(); }
        Assert.True(Peak(qlora) < Peak(lora) / 2);
        var text = CliRunner.Run("fit", "--peft", "dora", "--base-quant", "nf4").Out;
        Assert.Contains("trains 4,456,448 parameters (0.0661 % of the model)", text);   // DoRA adds out_features per adapted Linear
        Assert.Contains("QDoRA (nf4 base)", text);
    }

    [Theory]
    [InlineData(new[] { "--peft", "lora", "--optim", "galore_adamw" }, "no combination")]
    [InlineData(new[] { "--lora-r", "16" }, "--lora-r needs --peft")]
    [InlineData(new[] { "--peft", "lora", "--double-quant" }, "--double-quant")]
    [InlineData(new[] { "--peft", "ia3" }, "unknown --peft")]
    [InlineData(new[] { "--peft", "lora", "--base-quant", "nf3" }, "unknown --base-quant")]
    [InlineData(new[] { "--peft", "lora", "--lora-target-modules", "embed_tokens" }, "not an nn.Linear")]
    public void Bad_adapter_options_are_one_line_errors(string[] args, string message)
    {
        var (exit, output, error) = CliRunner.Run(["fit", .. args]);
        Assert.Equal(2, exit);
        Assert.Contains(message, error);
        Assert.DoesNotContain("   at ", error);
        Assert.Equal("", output);
    }
}
