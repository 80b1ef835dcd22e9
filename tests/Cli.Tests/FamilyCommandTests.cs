using System.Text.Json;

namespace GaLore.Cli.Tests;

/// <summary>fit, report and sweep answer for every dense family, by preset name or Hugging Face id.</summary>
public class FamilyCommandTests
{
    public static TheoryData<string> OnePerFamily => new()
    {
        "Qwen/Qwen3-8B", "google/gemma-2-9b", "gemma-3-1b", "microsoft/Phi-3-mini-4k-instruct", "allenai/OLMo-2-1124-7B", "gpt2",
        "EleutherAI/pythia-1b", "meta-llama/Llama-3.2-1B",
    };

    [Theory]
    [MemberData(nameof(OnePerFamily))]
    public void Fit_answers_for_every_family(string model)
    {
        foreach (var extra in new[] { new string[0], ["--attention", "math", "--dtype", "mixed", "--checkpointing"], ["--runtime", "torchsharp", "--seq", "4096"] })
        {
            string optim = model == "gpt2" ? "adamw_8bit" : "galore_adamw_8bit_layerwise";
            var (exit, output, error) = CliRunner.Run(["fit", "--model", model, "--optim", optim, "--json", .. extra]);
            Assert.True(exit is 0 or 1, $"{model} {string.Join(' ', extra)}: {error}");   // 0 fits, 1 does not: an answer either way
            using var doc = JsonDocument.Parse(output);
            Assert.Equal(exit == 0, doc.RootElement.GetProperty("fits").GetBoolean());
            Assert.True(doc.RootElement.GetProperty("peak_bytes").GetInt64() > 0);
        }
    }

    [Fact]
    public void Gemma2_under_sdpa_is_warned_that_transformers_drops_its_score_soft_cap()
    {
        var (_, output, _) = CliRunner.Run("fit", "--model", "gemma-2-2b");
        Assert.Contains("ignores attn_logit_softcapping (50)", output);
        Assert.DoesNotContain("ignores attn_logit_softcapping", CliRunner.Run("fit", "--model", "gemma-2-2b", "--attention", "math").Out);
    }

    [Fact]
    public void Galore_on_gpt2_fails_as_hugging_face_does_in_one_line_with_exit_2()
    {
        var (exit, output, error) = CliRunner.Run("fit", "--model", "gpt2", "--optim", "galore_adamw");
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Contains("Conv1D", error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public void Report_and_sweep_answer_for_the_new_families()
    {
        var dir = Directory.CreateTempSubdirectory("galore-families");
        try
        {
            var (exit, output, error) = CliRunner.Run("report", "--models", "qwen3-0.6b,gemma-3-1b,gpt2,pythia-1b,phi-3-mini,olmo-2-7b,gemma-2-2b",
                "--optims", "adamw,galore_adamw_8bit_layerwise", "--gpu", "24GiB", "--out", dir.FullName);
            Assert.True(exit == 0, error);
            string csv = File.ReadAllText(Path.Combine(dir.FullName, "capacity.csv"));
            foreach (var m in new[] { "qwen3-0.6b", "gemma-3-1b", "gpt2", "pythia-1b", "phi-3-mini", "olmo-2-7b", "gemma-2-2b" }) Assert.Contains(m, csv);
            Assert.Contains("Conv1D", csv);  // GPT-2's GaLore row says why it has no answer
            (exit, _, error) = CliRunner.Run("sweep", "--model", "google/gemma-2-2b", "--vary", "batch=1..4,seq=2048..8192", "--gpu", "80GiB",
                "--out", Path.Combine(dir.FullName, "sweep"));
            Assert.True(exit == 0, error);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void Models_lists_hugging_face_ids()
    {
        using var doc = JsonDocument.Parse(CliRunner.Run("models", "--json").Out);
        var qwen = doc.RootElement.GetProperty("models").EnumerateArray().Single(e => e.GetProperty("name").GetString() == "qwen3-8b");
        Assert.Equal("Qwen/Qwen3-8B", qwen.GetProperty("hf_id").GetString());
        var gpt2 = doc.RootElement.GetProperty("models").EnumerateArray().Single(e => e.GetProperty("name").GetString() == "gpt2");
        Assert.Equal(0, gpt2.GetProperty("galore_parameters").GetInt64());
    }
}
