using System.Text.Json;
using GaLore.Cli.Tests.Reports;

namespace GaLore.Cli.Tests;

/// <summary>Issue #14 at the command line: exit status, units, warnings, what else fits, hub ids, training arguments,
/// JSON that diffs clean, and every input checked before any work.</summary>
public class EdgeCaseTests
{
    static JsonElement Json(params string[] args)
    {
        var (exit, output, error) = CliRunner.Run([.. args, "--json"]);
        Assert.True(exit is 0 or 1, error);
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    [Fact]
    public void Fit_exit_status_is_0_fits_1_does_not_fit_2_bad_input()
    {
        Assert.Equal(0, CliRunner.Run("fit", "--model", "llama-60m").Exit);
        Assert.Equal(1, CliRunner.Run("fit", "--model", "llama-7b", "--optim", "adamw").Exit);
        Assert.Equal(2, CliRunner.Run("fit", "--model", "nope").Exit);
        Assert.Equal(1, CliRunner.Run("fit", "--model", "llama-7b", "--optim", "adamw", "--json").Exit);
    }

    [Fact]
    public void Every_size_option_takes_units_the_same_way()
    {
        var a = Json("fit", "--model", "llama-60m", "--reserve", "2GB", "--cuda-context", "450MiB", "--gpu", "24GB");
        var q = a.GetProperty("query");
        Assert.Equal(2_000_000_000L, q.GetProperty("reserve_bytes").GetInt64());
        Assert.Equal(450L << 20, q.GetProperty("cuda_context_bytes").GetInt64());
        Assert.Equal(24_000_000_000L / (1 << 20) * (1 << 20), q.GetProperty("gpu_total_bytes").GetInt64());
        // A bare number is GiB everywhere.
        Assert.Equal(2L << 30, Json("fit", "--model", "llama-60m", "--reserve", "2").GetProperty("query").GetProperty("reserve_bytes").GetInt64());
    }

    [Fact]
    public void A_knob_the_optimizer_ignores_is_a_warning_in_text_and_json()
    {
        var warnings = Json("fit", "--model", "llama-60m", "--optim", "adamw_8bit", "--rank", "64").GetProperty("warnings").EnumerateArray().Select(w => w.GetString()).ToList();
        Assert.Contains(warnings, w => w!.Contains("--rank has no effect with adamw_8bit"));
        Assert.Contains("note: --rank has no effect with adamw",
            CliRunner.Run("fit", "--model", "llama-60m", "--optim", "adamw", "--rank", "64").Out);
        Assert.DoesNotContain(Json("fit", "--model", "llama-60m", "--optim", "galore_adamw", "--rank", "64").GetProperty("warnings").EnumerateArray(),
            w => w.GetString()!.Contains("no effect"));
    }

    [Fact]
    public void A_run_that_does_not_fit_says_which_gpus_would_and_what_fits_on_this_one()
    {
        string[] run = ["--model", "llama-7b", "--optim", "galore_adamw_8bit_layerwise", "--batch", "4", "--seq", "2048"];
        var r = Json(["fit", .. run, "--gpu", "rtx-4090"]);
        Assert.False(r.GetProperty("fits").GetBoolean());
        var alt = r.GetProperty("alternatives");
        var gpus = alt.GetProperty("gpus_that_fit").EnumerateArray().Select(g => g.GetProperty("gpu").GetString()).ToList();
        Assert.Contains("h100-80gb", gpus);
        Assert.DoesNotContain("rtx-4090", gpus);
        // Each is what fit says on that card.
        foreach (var g in alt.GetProperty("gpus_that_fit").EnumerateArray())
        {
            var there = Json(["fit", .. run, "--gpu", g.GetProperty("gpu").GetString()!]);
            Assert.True(there.GetProperty("fits").GetBoolean());
            Assert.Equal(there.GetProperty("peak_bytes").GetInt64(), g.GetProperty("peak_bytes").GetInt64());
        }
        // The longest sequence and the largest checkpointed batch are what fit itself finds there.
        int maxSeq = r.GetProperty("max_seq").GetInt32();
        Assert.InRange(maxSeq, 1, 2047);
        Assert.True(Json("fit", "--model", "llama-7b", "--batch", "4", "--seq", maxSeq.ToString()).GetProperty("fits").GetBoolean());
        Assert.False(Json("fit", "--model", "llama-7b", "--batch", "4", "--seq", (maxSeq + 1).ToString()).GetProperty("fits").GetBoolean());
        int ckpt = alt.GetProperty("max_batch_with_checkpointing").GetInt32();
        Assert.True(ckpt > 0);
        Assert.Equal(ckpt, Json("fit", "--model", "llama-7b", "--seq", "2048", "--checkpointing").GetProperty("max_batch").GetInt32());
        string text = CliRunner.Run(["fit", .. run]).Out;
        Assert.Contains("Catalogue GPUs on which this run fits: ", text);
        Assert.Contains("Longest sequence that fits at batch 4: ", text);
        Assert.Contains("Largest batch with activation checkpointing at 2048 tokens: ", text);
    }

    [Fact]
    public void Fit_always_shows_the_longest_sequence()
    {
        Assert.Contains("Longest sequence that fits at batch 1: ", CliRunner.Run("fit").Out);
        Assert.True(Json("fit").GetProperty("max_seq").GetInt32() > 256);
    }

    [Fact]
    public void Bf16_on_a_card_without_it_is_warned_and_fp16_is_not()
    {
        Assert.Contains("no native bf16", CliRunner.Run("fit", "--model", "llama-1b", "--gpu", "t4").Out);
        Assert.Contains("no native bf16", CliRunner.Run("fit", "--model", "llama-1b", "--gpu", "v100-32gb", "--dtype", "mixed").Out);
        Assert.DoesNotContain("bf16", CliRunner.Run("fit", "--model", "llama-1b", "--gpu", "t4", "--dtype", "fp16").Out.Split('\n').Where(l => l.StartsWith("note:")).Aggregate("", (a, b) => a + b));
        // No "pure BF16" suggestion on a card without bf16.
        var s = Json("fit", "--model", "llama-7b", "--optim", "adamw", "--gpu", "t4", "--dtype", "fp32").GetProperty("suggestions").EnumerateArray();
        Assert.DoesNotContain(s, x => x.GetProperty("flags").GetString()!.Contains("--dtype bf16"));
    }

    [Fact]
    public void Training_arguments_are_the_run_and_the_command_line_overrides_them()
    {
        using var dir = new ReportFolder();
        Directory.CreateDirectory(dir.Path);
        string file = dir["args.json"];
        File.WriteAllText(file, """
            {"output_dir": "x", "per_device_train_batch_size": 2, "gradient_checkpointing": true, "fp16": true, "bf16": false,
             "optim": "galore_adamw", "optim_args": "rank=64, update_proj_gap=500", "optim_target_modules": ["attn"], "gradient_accumulation_steps": 4,
             "learning_rate": 0.0001, "report_to": ["none"]}
            """);
        var q = Json("fit", "--model", "llama-60m", "--training-args", file).GetProperty("query");
        Assert.Equal("galore_adamw", q.GetProperty("optimizer").GetString());
        Assert.Equal(64, q.GetProperty("rank").GetInt32());
        Assert.Equal(2, q.GetProperty("batch").GetInt32());
        Assert.True(q.GetProperty("checkpointing").GetBoolean());
        Assert.Equal("fp16", q.GetProperty("dtype").GetString());
        Assert.Equal("attn", q.GetProperty("target_modules").GetString());
        var all = Json("fit", "--model", "llama-60m", "--training-args", file);
        Assert.Equal(4, all.GetProperty("grad_accum").GetInt32());   // gradient_accumulation_steps is the run's --grad-accum
        Assert.Equal(2, Json("fit", "--model", "llama-60m", "--training-args", file, "--grad-accum", "2").GetProperty("grad_accum").GetInt32());
        // The command line wins.
        var o = Json("fit", "--model", "llama-60m", "--training-args", file, "--batch", "8", "--dtype", "bf16", "--optim", "adamw").GetProperty("query");
        Assert.Equal(8, o.GetProperty("batch").GetInt32());
        Assert.Equal("bf16", o.GetProperty("dtype").GetString());
        Assert.Equal("adamw", o.GetProperty("optimizer").GetString());
    }

    [Fact]
    public void A_hub_id_resolves_from_a_local_cache_in_a_real_process()
    {
        using var dir = new ReportFolder();
        string snap = Path.Combine(dir.Path, "hub", "models--Org--Small", "snapshots", "abc");
        Directory.CreateDirectory(snap);
        File.WriteAllText(Path.Combine(snap, "config.json"),
            """{"model_type":"llama","vocab_size":32000,"hidden_size":512,"intermediate_size":1376,"num_hidden_layers":8,"num_attention_heads":8}""");
        var (exit, output, err) = ProcessRunner.Run(new Dictionary<string, string> { ["HF_HUB_CACHE"] = Path.Combine(dir.Path, "hub") },
            "fit", "--model", "Org/Small", "--json");
        Assert.True(exit == 0, err);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal("Org/Small", doc.RootElement.GetProperty("query").GetProperty("model").GetString());
        Assert.Equal(58_073_600, doc.RootElement.GetProperty("parameters").GetInt64());   // llama-60m's shape
    }

    [Fact]
    public void Every_json_carries_a_format_and_no_timing_unless_asked()
    {
        Assert.Equal("galore-plan.fit/1", Json("fit").GetProperty("format").GetString());
        var sweep = JsonDocument.Parse(CliRunner.Run("sweep", "--vary", "batch=1..4", "--json").Out).RootElement;
        Assert.Equal("galore-plan.sweep/1", sweep.GetProperty("format").GetString());
        Assert.False(sweep.TryGetProperty("points_per_second", out _));
        Assert.False(sweep.TryGetProperty("compile_seconds", out _));
        // One name for one thing: the optimizer is "optimizer" with its knobs beside it, in fit's query and in sweep.
        Assert.Equal("galore_adamw_8bit_layerwise", sweep.GetProperty("optimizer").GetString());
        Assert.False(sweep.TryGetProperty("optimizer_setup", out _));
        // Two runs diff clean.
        Assert.Equal(CliRunner.Run("sweep", "--vary", "batch=1..4", "--json").Out, CliRunner.Run("sweep", "--vary", "batch=1..4", "--json").Out);
    }

    [Fact]
    public void Timeline_writes_csv_and_charts_whose_peak_is_the_allocated_peak()
    {
        using var dir = new ReportFolder();
        var (exit, output, err) = CliRunner.Run("fit", "--model", "llama-60m", "--optim", "galore_adamw", "--timeline", dir["step/timeline.png"], "--json");
        Assert.True(exit == 0, err);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(3, doc.RootElement.GetProperty("timeline_files").GetArrayLength());
        Assert.True(ReportFolder.IsPng(dir["step/timeline.png"]));
        Assert.True(ReportFolder.IsSvg(dir["step/timeline.svg"]));
        var (header, rows) = ReportFolder.ReadCsv(dir["step/timeline.csv"]);
        Assert.Equal(["event", "phase", "label", "weights_bytes", "gradients_bytes", "optimizer_states_bytes", "activations_bytes", "other_bytes", "total_bytes"], header);
        long peak = rows.Max(r => long.Parse(r[^1]));
        // The timeline's maximum is the tensor peak fit reports (allocated, less the cuBLAS workspace it adds).
        long workspace = 8L << 20;   // rtx-4090: compute capability 8.9
        Assert.Equal(doc.RootElement.GetProperty("allocated_bytes").GetInt64() - workspace, peak);
        Assert.All(rows, r => Assert.Equal(long.Parse(r[^1]), r[3..^1].Sum(long.Parse)));
        Assert.Contains(rows, r => r[1].StartsWith("backward", StringComparison.Ordinal));
        Assert.Contains(rows, r => r[1].StartsWith("optimizer step", StringComparison.Ordinal));
    }

    [Fact]
    public void A_timeline_with_dashed_lines_prints_nothing_on_stderr()
    {
        // Skia's SVG canvas has no path effects; native Skia printed "Unsupported path effect in addPaint." on fd 2 for every
        // dashed line, which only a separate process sees.
        using var dir = new ReportFolder();
        var (exit, _, err) = ProcessRunner.Run(null, "fit", "--model", "llama-60m", "--timeline", dir["t.png"]);
        Assert.Equal(0, exit);
        Assert.Equal("", err);
        Assert.True(ReportFolder.IsSvg(dir["t.svg"]));
    }
}
