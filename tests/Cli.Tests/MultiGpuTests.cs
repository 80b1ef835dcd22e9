using System.Text.Json;

namespace GaLore.Cli.Tests;

/// <summary>fit, sweep and report on several GPUs: the options, the per-GPU answers and the bad-input errors.</summary>
public class MultiGpuTests
{
    [Theory]
    [InlineData("--gpus must be a positive integer or auto, got 0", "--gpus", "0")]
    [InlineData("--gpus must be a positive integer or auto, got -3", "--gpus", "-3")]
    [InlineData("--gpus must be an integer, got 'two'", "--gpus", "two")]
    [InlineData("--strategy zero3 with --gpus 1 partitions over one GPU", "--optim", "adamw", "--strategy", "zero3")]
    [InlineData("--strategy ddp with --gpus 1 replicates the model onto no other GPU", "--optim", "adamw", "--strategy", "ddp", "--gpus", "1")]
    [InlineData("--offload optimizer needs --strategy zero1, zero2, zero3 or fsdp", "--optim", "adamw", "--offload", "optimizer")]
    [InlineData("ddp keeps everything on the GPUs", "--optim", "adamw", "--gpus", "2", "--offload", "optimizer")]
    [InlineData("only under ZeRO-3", "--optim", "adamw", "--gpus", "2", "--strategy", "zero2", "--offload", "optimizer+params")]
    [InlineData("unknown strategy 'megatron'", "--gpus", "2", "--strategy", "megatron")]
    [InlineData("unknown offload 'disk'", "--gpus", "2", "--strategy", "zero3", "--offload", "disk")]
    [InlineData("--grad-accum must be a positive integer, got 0", "--grad-accum", "0")]
    [InlineData("does not support DDP at this time", "--optim", "galore_adamw_8bit_layerwise", "--gpus", "8")]
    [InlineData("does not support gradient accumulation!", "--grad-accum", "4")]
    [InlineData("which galore-torch cannot project", "--optim", "galore_adamw", "--gpus", "4", "--strategy", "zero2")]
    [InlineData("FSDP1", "--optim", "adamw", "--gpus", "4", "--strategy", "fsdp1")]
    public void Bad_multi_gpu_input_is_one_line_and_exit_code_2(string fragment, params string[] args)
    {
        var (exit, output, error) = CliRunner.Run(["fit", .. args]);
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Contains(fragment, error);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void The_70b_on_a100_question_answers_with_a_card_count_and_a_per_gpu_breakdown()
    {
        var (exit, output, error) = CliRunner.Run("fit", "--model", "llama-3.1-70b", "--gpu", "a100-80gb", "--optim", "adamw", "--strategy", "zero3", "--gpus", "auto");
        Assert.Equal(0, exit);
        Assert.Equal("", error);
        Assert.Contains("the fewest that fit (--gpus auto", output);
        Assert.Contains("FITS: predicted peak per GPU", output);
        Assert.Contains("model states per GPU", output);
        Assert.Contains("tokens per optimizer step", output);
        Assert.Contains("not measured", output);

        using var doc = JsonDocument.Parse(CliRunner.Run("fit", "--model", "llama-3.1-70b", "--gpu", "a100-80gb", "--optim", "adamw",
            "--strategy", "zero3", "--gpus", "auto", "--json").Out);
        var root = doc.RootElement;
        int gpus = root.GetProperty("gpus").GetInt32();
        Assert.InRange(gpus, 9, 64);
        Assert.Contains($"GPUs       {gpus} × zero3", output);
        Assert.Equal("zero3", root.GetProperty("strategy").GetString());
        Assert.True(root.GetProperty("gpus_auto").GetProperty("found").GetBoolean());
        Assert.Equal(256L * gpus, root.GetProperty("tokens_per_optimizer_step").GetInt64());
        // ZeRO-3's model states are 16Ψ/N; the breakdown (per GPU) sums to the peak.
        var m = root.GetProperty("model_states_per_gpu");
        long states = m.GetProperty("weights").GetInt64() + m.GetProperty("gradients").GetInt64() + m.GetProperty("optimizer_states").GetInt64();
        Assert.InRange(states / (16.0 * 70_553_706_496 / gpus), 1.0, 1.001);
        var b = root.GetProperty("breakdown");
        Assert.Equal(root.GetProperty("peak_bytes").GetInt64(),
            new[] { "weights", "gradients", "optimizer_states", "activations", "other" }.Sum(k => b.GetProperty(k).GetInt64()));
        // One card fewer does not fit.
        using var fewer = JsonDocument.Parse(CliRunner.Run("fit", "--model", "llama-3.1-70b", "--gpu", "a100-80gb", "--optim", "adamw",
            "--strategy", "zero3", "--gpus", (gpus - 1).ToString(), "--json").Out);
        Assert.False(fewer.RootElement.GetProperty("fits").GetBoolean());
    }

    [Fact]
    public void The_readme_command_answers_without_an_optimizer_given()
    {
        // The one-GPU default (galore_adamw_8bit_layerwise) is layerwise, which HF refuses distributed: several GPUs default to adamw.
        var (exit, output, error) = CliRunner.Run("fit", "--model", "llama-3.1-70b", "--gpu", "a100-80gb", "--strategy", "zero3", "--gpus", "auto");
        Assert.Equal(0, exit);
        Assert.Equal("", error);
        Assert.Contains("Optimizer  adamw", output);
        Assert.Contains("note: --optim not given: adamw (Hugging Face's default)", output);
        Assert.Contains("the fewest that fit", output);
        Assert.Contains("Optimizer  galore_adamw_8bit_layerwise", CliRunner.Run("fit").Out);
    }

    [Fact]
    public void Offload_reports_the_host_memory_it_needs()
    {
        using var doc = JsonDocument.Parse(CliRunner.Run("fit", "--model", "llama-7b", "--optim", "adamw", "--gpus", "4", "--strategy", "zero3",
            "--offload", "optimizer", "--json").Out);
        var root = doc.RootElement;
        long host = root.GetProperty("host_bytes_total").GetInt64();
        Assert.Equal(4 * root.GetProperty("host_bytes_per_gpu").GetInt64(), host);
        Assert.InRange(host / (18.0 * 6_738_415_616), 0.999, 1.001);   // fp32 master 4 + m, v 8 + fp32 gradient 4 + bf16 gradient partition 2
        Assert.Equal(0, root.GetProperty("model_states_per_gpu").GetProperty("optimizer_states").GetInt64());
    }

    [Fact]
    public void Ddp_shows_its_buckets_and_one_gpu_output_has_no_parallel_lines()
    {
        var ddp = CliRunner.Run("fit", "--model", "llama-1b", "--optim", "galore_adamw", "--gpus", "4", "--gpu", "a100-80gb").Out;
        Assert.Contains("DDP gradient buckets", ddp);
        Assert.Contains("GPUs       4 × ddp", ddp);
        var one = CliRunner.Run("fit").Out;
        Assert.DoesNotContain("GPUs ", one);
        Assert.DoesNotContain("per GPU", one);
        using var json = JsonDocument.Parse(CliRunner.Run("fit", "--json").Out);
        Assert.Equal(1, json.RootElement.GetProperty("gpus").GetInt32());
        Assert.Equal("none", json.RootElement.GetProperty("strategy").GetString());
        Assert.Equal(0, json.RootElement.GetProperty("host_bytes_total").GetInt64());
    }

    [Fact]
    public void Sweep_and_report_accept_the_same_options()
    {
        var (exit, output, error) = CliRunner.Run("sweep", "--model", "llama-1b", "--optim", "adamw", "--gpu", "24GiB", "--gpus", "auto", "--strategy", "zero3",
            "--vary", "batch=1..8", "--json");
        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal("zero3", doc.RootElement.GetProperty("strategy").GetString());
        Assert.True(doc.RootElement.GetProperty("gpus").GetInt32() >= 2);

        var dir = Directory.CreateTempSubdirectory("galore-multi-report");
        try
        {
            var report = CliRunner.Run("report", "--models", "llama-60m", "--optims", "adamw,galore_adamw_layerwise", "--gpu", "24GiB",
                "--gpus", "4", "--strategy", "fsdp", "--out", dir.FullName);
            Assert.Equal(0, report.Exit);
            string md = File.ReadAllText(Path.Combine(dir.FullName, "report.md"));
            Assert.Contains("**Sizes are per GPU**: 4 GPUs with `fsdp`", md);
            Assert.Contains("## How many GPUs", md);
            Assert.Contains("| llama-60m | zero3 |", md);
            Assert.Contains("does not support DDP at this time", md);   // the layerwise row is invalid, with HF's reason
            var auto = CliRunner.Run("report", "--models", "llama-60m", "--gpus", "auto", "--out", dir.FullName);
            Assert.Equal(2, auto.Exit);
            Assert.Contains("How many GPUs", auto.Err);
        }
        finally { dir.Delete(true); }
    }
}
