using System.Diagnostics;
using System.Globalization;
using CsCheck;

namespace GaLore.Cli.Tests.Fuzz;

/// <summary>
/// Generators of command lines and <c>config.json</c> files for the fuzz suite: each option's value is drawn from a mix
/// of values a user means (presets, sizes with units, powers of two) and values a fuzzer finds (boundaries, 2³¹−1, 1e300,
/// NaN, negative, empty, units that do not exist, catastrophic regexes, devices and pipes as files, repeated options
/// without a value, unknown options). Valid values are drawn more often, so most cases reach the planner and test its
/// answers, not only its parser.
/// </summary>
public sealed class FuzzInputs : IDisposable
{
    /// <summary>Folder holding generated config files, a FIFO and an empty folder.</summary>
    public string Folder { get; } = Directory.CreateTempSubdirectory("galore-fuzz").FullName;

    /// <summary>A FIFO (a pipe with no writer: opening it for reading would block forever).</summary>
    public string Fifo { get; }

    /// <summary>A folder without a config.json.</summary>
    public string EmptyFolder { get; }

    int files;

    public FuzzInputs()
    {
        Fifo = Path.Combine(Folder, "fifo.json");
        using (var p = Process.Start(new ProcessStartInfo("mkfifo", [Fifo]) { UseShellExecute = false })!) p.WaitForExit();
        EmptyFolder = Path.Combine(Folder, "empty");
        Directory.CreateDirectory(EmptyFolder);
    }

    public void Dispose()
    {
        try { Directory.Delete(Folder, true); }
        catch (IOException) { }
    }

    static Gen<string> Const(params string[] values) => Gen.OneOf(values);

    static Gen<string> Ints(params long[] edges) =>
        Gen.Frequency((3, Gen.Int[1, 64].Select(i => i.ToString(CultureInfo.InvariantCulture))),
            (2, Gen.OneOf(edges).Select(i => i.ToString(CultureInfo.InvariantCulture))),
            (1, Gen.Long.Select(i => i.ToString(CultureInfo.InvariantCulture))),
            (1, Const("abc", "", " ", "1.5", "1e3", "-0", "0x10", "NaN", "∞", "2147483648", "99999999999999999999")));

    static Gen<string> Sizes() =>
        Gen.Frequency(
            (4, Gen.Select(Gen.Int[0, 200], Const("GiB", "GB", "MiB", "MB", "", "g", "TiB", "TB", "KiB", "B")).Select((n, u) => n.ToString(CultureInfo.InvariantCulture) + u)),
            (2, Const("0", "0.44", "2GB", "450MiB", "1e300", "-1", "-0.5GiB", "NaN", "inf", "99999999999GiB", "0.0001", "4TiB", "5TiB", "1e-300", "24XB", "GiB", "", ".", "1..2")),
            (1, Gen.Double.Select(d => d.ToString("R", CultureInfo.InvariantCulture))));

    /// <summary>Every preset, and some by their Hugging Face ids.</summary>
    static readonly string[] Presets =
    [
        .. GaLore.Planner.Models.ModelPresets.Catalog.Select(p => p.Name),
        "Qwen/Qwen3-8B", "google/gemma-2-9b", "mistralai/Mixtral-8x7B-v0.1", "openai-community/gpt2", "EleutherAI/pythia-1b",
    ];
    static readonly string[] Optimizers =
    [
        "adamw", "adamw_8bit", "adafactor", "galore_adamw", "galore_adamw_8bit", "galore_adafactor", "adamw_layerwise", "adamw_8bit_layerwise",
        "adafactor_layerwise", "galore_adamw_layerwise", "galore_adamw_8bit_layerwise", "galore_adafactor_layerwise", "adamw_torch", "galore-adamw",
        "apollo_adamw", "apollo_adamw_layerwise", "paged_adamw_8bit", "lion_8bit", "ademamix", "adamw_torch_4bit", "lomo", "adalomo", "sgd",
        "schedule_free_adamw", "grokadamw", "stable_adamw", "rmsprop_bnb_8bit", "adamw_torch_fused",
    ];
    static readonly string[] Gpus =
    [
        "rtx-4090", "4090", "h100", "h200", "t4", "v100-16gb", "l40s", "b200", "rtx-a6000", "a100", "rtx-3060", "24GiB", "80GB", "16", "0", "tpu", "", "h2OO",
    ];

    /// <summary>A value for <c>--model</c>: a preset, a generated config file, or something that is not a model.</summary>
    Gen<string> Model() => Gen.Frequency(
        (6, Gen.OneOf(Presets)),
        (4, ConfigText().Select(WriteConfig)),
        (1, Const("/dev/zero", "/dev/urandom", "/dev/null", "/nonexistent/config.json", "gpt-5", "Qwen/Qwen3-8B", "llama7b", "", "..", "/proc/self/status")),
        (1, Gen.Const(() => Fifo)),
        (1, Gen.Const(() => EmptyFolder)));

    string WriteConfig(string text)
    {
        string path = Path.Combine(Folder, $"config-{Interlocked.Increment(ref files)}.json");
        File.WriteAllText(path, text);
        return path;
    }

    static Gen<string> FieldValue() => Gen.Frequency(
        (6, Gen.Int[1, 8192].Select(i => i.ToString(CultureInfo.InvariantCulture))),
        (2, Gen.OneOf(0L, -1, 1, 2, 3, 7, 1023, 1024, 1025, 4096, 65536, 131072, 131073, 1 << 20, (1 << 24) + 1, 2147483647, 2147483648, 1L << 40, -2147483648)
            .Select(i => i.ToString(CultureInfo.InvariantCulture))),
        (1, Const("1.5", "1e308", "\"32\"", "null", "true", "[]", "{}", "-0", "1e-5", "NaN")));

    /// <summary>The text of a config.json: Llama-family fields with values from <see cref="FieldValue"/>, sometimes one
    /// left out, sometimes broken JSON.</summary>
    public static Gen<string> ConfigText()
    {
        string[] fields = ["vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim", "max_position_embeddings"];
        var valid = Gen.Select(Gen.Int[1, 64], Gen.Int[1, 8], Gen.Int[1, 4], Gen.Int[1, 32], Gen.Int[4, 16], Gen.OneOf("llama", "mistral", "qwen2"), Gen.Bool)
            .Select((h, heads, kv, layers, v, type, tie) =>
            {
                int hd = heads * 2 * Math.Max(1, h / heads);
                return $"{{\"model_type\":\"{type}\",\"vocab_size\":{v * 256},\"hidden_size\":{hd * heads / heads * heads},\"intermediate_size\":{hd * 3}," +
                       $"\"num_hidden_layers\":{layers},\"num_attention_heads\":{heads},\"num_key_value_heads\":{(heads % kv == 0 ? kv : 1)},\"tie_word_embeddings\":{(tie ? "true" : "false")}}}";
            });
        var random = Gen.Select(FieldValue().Array[fields.Length], Gen.Int[0, fields.Length], Gen.OneOf("\"llama\"", "\"mistral\"", "\"qwen2\"", "\"qwen3\"", "\"gemma2\"", "\"gemma3_text\"", "\"phi3\"", "\"olmo2\"",
                "\"gpt2\"", "\"gpt_neox\"", "\"mixtral\"", "\"qwen3_moe\"", "\"olmoe\"", "\"\"", "5", "null"))
            .Select((values, drop, type) =>
                "{\"model_type\":" + type + "," + string.Join(",", fields.Select((f, i) => (f, i)).Where(p => p.i != drop).Select(p => $"\"{p.f}\":{values[p.i]}")) + "}");
        var broken = Const("", "{", "{\"model_type\":\"llama\",", "[1,2,3]", "\"llama\"", "null", "{\"hidden_size\":4096}", "{\"model_type\":\"llama\",\"hidden_size\":1e999}",
            new string('[', 5000), "{\"a\":" + new string('[', 100) + new string(']', 100) + "}");
        return Gen.Frequency((3, valid), (5, random), (1, broken));
    }

    static Gen<string> TargetModules() => Const("attn,mlp", "all-linear", "all_linear", "q_proj,v_proj", "regex:.*proj", "regex:(.+)+x", "regex:(a|aa)*b",
        "regex:[", "regex:(?<=a)b", "regex:(a)\\1", "nothing", "mlp", "", ",", "regex:" + new string('a', 5000), "regex:(x{1000}){1000}");

    static Gen<string> OptimArgs() => Const("rank=64", "rank=64, update_proj_gap=500, scale=0.25", "beta1=0.9", "beta1=nan", "beta1=-5", "foo=1", "rank=",
        "=,=", "scale=1e400", "rank=99999999999", "proj_type=left", "proj_type=diagonal", ",,,", "rank=0", "percentile_clipping=50");

    /// <summary>One option with a value drawn for it, or a flag, or something that is not an option at all.</summary>
    Gen<string[]> Option() => Gen.Frequency(
        (3, Model().Select(v => new[] { "--model", v })),
        (3, Gen.Frequency((5, Gen.OneOf(Optimizers)), (1, Const("sgd", "adamw_torch_fused", "", "galore_"))).Select(v => new[] { "--optim", v })),
        (2, Ints(0, -1, 1, 2, 8, 128, 4096, 8192, 2147483647, -2147483648).Select(v => new[] { "--rank", v })),
        (1, Ints(0, -1, 1, 200, 2147483647).Select(v => new[] { "--update-proj-gap", v })),
        (1, Const("0.25", "0", "-1", "nan", "inf", "1e308", "abc").Select(v => new[] { "--scale", v })),
        (1, Const("std", "reverse_std", "left", "right", "full", "diagonal", "").Select(v => new[] { "--proj-type", v })),
        (2, TargetModules().Select(v => new[] { "--target-modules", v })),
        (2, OptimArgs().Select(v => new[] { "--optim-args", v })),
        (2, Const("bf16", "fp32", "mixed", "fp16", "fp8", "").Select(v => new[] { "--dtype", v })),
        (3, Ints(0, -1, 1, 2, 65536, 1 << 20, (1 << 20) + 1, 2147483647).Select(v => new[] { "--batch", v })),
        (3, Ints(0, -1, 1, 128, 4096, 32768, 1 << 24, (1 << 24) + 1, 2147483647).Select(v => new[] { "--seq", v })),
        (2, Gen.Const(new[] { "--checkpointing" })),
        (1, Const("sdpa", "math", "eager", "ring").Select(v => new[] { "--attention", v })),
        (1, Const("pytorch", "torchsharp", "jax").Select(v => new[] { "--runtime", v })),
        (3, Gen.OneOf(Gpus).Select(v => new[] { "--gpu", v })),
        (3, Sizes().Select(v => new[] { "--gpu", v })),
        (2, Sizes().Select(v => new[] { "--reserve", v })),
        (2, Sizes().Select(v => new[] { "--cuda-context", v })),
        (1, Gen.Const(new[] { "--no-refresh" })),
        (1, Const("lora", "dora", "ia3", "").Select(v => new[] { "--peft", v })),
        (1, Ints(0, -1, 1, 8, 4096, 2147483647).Select(v => new[] { "--lora-r", v })),
        (1, Const("nf4", "fp4", "int8", "int4", "").Select(v => new[] { "--base-quant", v })),
        (1, Gen.Const(new[] { "--double-quant" })),
        (1, Const("1", "2", "8", "auto", "0", "-1", "1025", "1e3").Select(v => new[] { "--gpus", v })),
        (1, Const("ddp", "zero1", "zero2", "zero3", "fsdp", "fsdp1", "tp", "").Select(v => new[] { "--strategy", v })),
        (1, Const("none", "optimizer", "optimizer+params", "params", "").Select(v => new[] { "--offload", v })),
        (1, Ints(0, -1, 1, 4, 2147483647).Select(v => new[] { "--grad-accum", v })),
        (1, Const("4", "5", "3", "").Select(v => new[] { "--transformers", v })),
        (1, Const("--gpu", "--batch", "--model", "--batc", "--no-such-option", "-x", "stray").Select(v => new[] { v })));

    /// <summary>A <c>fit</c> command line: 0–7 options, usually with <c>--json</c> so its answer can be checked field by field.</summary>
    /// <remarks>
    /// Options are distinct by name except in one case in ten (a repeated option is its own kind of bad input).</remarks>
    public Gen<string[]> Fit() => Gen.Select(Option().Array[0, 7], Gen.Frequency((4, Gen.Const(true)), (1, Gen.Const(false))), Gen.Int[0, 9])
        .Select((options, json, repeat) => (string[])["fit", .. Distinct(options, repeat == 0).SelectMany(o => o), .. json ? new[] { "--json" } : []]);

    static IEnumerable<string[]> Distinct(string[][] options, bool allowRepeats) =>
        allowRepeats ? options : options.GroupBy(o => o[0]).Select(g => g.First());

    /// <summary>A <c>models --config</c> command line over a generated config file (or a non-file).</summary>
    public Gen<string[]> Models() => Model().Select(m => new[] { "models", "--config", m, "--json" });

    /// <summary>A small <c>sweep --json</c>: a few options and a short or malformed <c>--vary</c>.</summary>
    public Gen<string[]> Sweep() => Gen.Select(Option().Array[0, 4].Select(o => Distinct(o, false).Where(x => x[0] != "--batch" && x[0] != "--seq" && x[0] != "--rank").ToArray()),
            Const("rank=64..256", "batch=1..8", "seq=256..1024", "batch=1..4,seq=128..512", "rank=0..4", "batch=8..1", "seq=1..2147483647:1073741823",
                "batch=1,1", "rank=", "foo=1", "batch=1..1048577:1048576"))
        .Select((options, vary) => (string[])["sweep", .. options.SelectMany(o => o), "--vary", vary, "--json"]);

    /// <summary>Any of the above, mostly <c>fit</c>.</summary>
    public Gen<string[]> Any() => Gen.Frequency((8, Fit()), (1, Models()), (1, Sweep()));
}
