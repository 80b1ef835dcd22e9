using System.Diagnostics;
using GaLore.Planner;
using GaLore.Planner.Inputs;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;

namespace GaLore.Planner.Tests.Inputs;

/// <summary>Hub ids from a fake local Hugging Face cache; input files that are not regular files; regexes that cannot hang.</summary>
public sealed class HubAndFileTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("galore-hub").FullName;

    public void Dispose() => Directory.Delete(root, true);

    const string Config = """{"model_type":"llama","vocab_size":32000,"hidden_size":512,"intermediate_size":1376,"num_hidden_layers":8,"num_attention_heads":8}""";

    /// <summary>Writes <c>models--org--name/snapshots/{rev}/config.json</c> (hidden size <paramref name="hidden"/>).</summary>
    string Snapshot(string cache, string repo, string rev, int hidden)
    {
        string dir = Path.Combine(cache, "models--" + repo.Replace("/", "--"), "snapshots", rev);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), Config.Replace("512", hidden.ToString()));
        return dir;
    }

    Func<string, string?> Env(params (string Key, string Value)[] vars) =>
        key => vars.FirstOrDefault(v => v.Key == key).Value ?? (key == "HOME" ? Path.Combine(root, "home") : null);

    [Fact]
    public void A_hub_id_is_read_from_the_snapshot_refs_main_points_to()
    {
        string cache = Path.Combine(root, "hub");
        Snapshot(cache, "Org/Tiny-1", "aaaa", 256);
        Snapshot(cache, "Org/Tiny-1", "bbbb", 512);
        Directory.CreateDirectory(Path.Combine(cache, "models--Org--Tiny-1", "refs"));
        File.WriteAllText(Path.Combine(cache, "models--Org--Tiny-1", "refs", "main"), "aaaa");
        var m = ModelResolver.Resolve("Org/Tiny-1", Env(("HF_HUB_CACHE", cache)));
        Assert.Equal(256, m.HiddenSize);
        Assert.Equal("Org/Tiny-1", m.Name);   // named by its id, not by the snapshot's path
    }

    [Fact]
    public void Without_refs_main_the_newest_snapshot_is_used()
    {
        string cache = Path.Combine(root, "hub");
        string old = Snapshot(cache, "Org/M", "c1", 256);
        Directory.SetLastWriteTimeUtc(old, DateTime.UtcNow.AddDays(-2));
        Snapshot(cache, "Org/M", "c2", 512);
        Assert.Equal(512, ModelResolver.Resolve("Org/M", Env(("HF_HUB_CACHE", cache))).HiddenSize);
    }

    [Fact]
    public void The_cache_folder_follows_huggingface_hub_order()
    {
        Assert.Equal((Path.Combine(root, "a"), "$HF_HUB_CACHE"), HfHubCache.Root(Env(("HF_HUB_CACHE", Path.Combine(root, "a")), ("HF_HOME", Path.Combine(root, "b")))));
        Assert.Equal((Path.Combine(root, "b", "hub"), "$HF_HOME/hub"), HfHubCache.Root(Env(("HF_HOME", Path.Combine(root, "b")))));
        Assert.Equal((Path.Combine(root, "x", "huggingface", "hub"), "$XDG_CACHE_HOME/huggingface/hub"), HfHubCache.Root(Env(("XDG_CACHE_HOME", Path.Combine(root, "x")))));
        Assert.Equal(Path.Combine(root, "home", ".cache", "huggingface", "hub"), HfHubCache.Root(Env()).Folder);
        // HF_HOME/hub is searched when only HF_HOME is set.
        Snapshot(Path.Combine(root, "b", "hub"), "Org/Via-Home", "r", 256);
        Assert.Equal(256, ModelResolver.Resolve("Org/Via-Home", Env(("HF_HOME", Path.Combine(root, "b")))).HiddenSize);
    }

    [Fact]
    public void A_missing_hub_id_says_where_it_looked()
    {
        var e = Assert.Throws<PlannerInputException>(() => ModelResolver.Resolve("Qwen/Qwen9-8B", Env(("HF_HUB_CACHE", Path.Combine(root, "nothing")))));   // no preset has this id
        Assert.Contains("not in the local Hugging Face cache", e.Message);
        Assert.Contains(Path.Combine(root, "nothing", "models--Qwen--Qwen9-8B") + "/snapshots/*/config.json", e.Message);
        Assert.Contains("$HF_HUB_CACHE", e.Message);
    }

    [Fact]
    public void A_file_path_wins_over_a_preset_and_a_preset_over_the_cache()
    {
        string cache = Path.Combine(root, "hub");
        Snapshot(cache, "Org/Tiny-1", "r", 256);
        string dir = Path.Combine(root, "llama-7b");   // a folder named like a preset, holding a config.json
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), Config);
        Assert.Equal(512, ModelResolver.Resolve(dir, Env(("HF_HUB_CACHE", cache))).HiddenSize);
        Assert.Equal(4096, ModelResolver.Resolve("llama-7b", Env(("HF_HUB_CACHE", cache))).HiddenSize);
        Assert.Equal("llama-7b", HfConfigLoader.Load(dir).Name);     // a config file is named by its folder, not its path
        // A relative path to that folder has a separator, so it is the folder, not the preset its last part names.
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, dir);
        Assert.Contains(Path.DirectorySeparatorChar, relative);
        Assert.Equal(512, ModelResolver.Resolve(relative, Env(("HF_HUB_CACHE", cache))).HiddenSize);
    }

    [Fact]
    public void A_config_names_itself_by_name_or_path_from_save_pretrained()
    {
        string file = Path.Combine(root, "exported.json");
        File.WriteAllText(file, Config.Replace("{", """{"_name_or_path":"meta-llama/Llama-2-7b-hf",""", StringComparison.Ordinal));
        Assert.Equal("meta-llama/Llama-2-7b-hf", HfConfigLoader.Load(file).Name);
        File.WriteAllText(file, Config.Replace("{", """{"_name_or_path":"/home/me/checkpoints/x",""", StringComparison.Ordinal));
        Assert.Equal("exported", HfConfigLoader.Load(file).Name);    // a local path is not a name
    }

    [Theory]
    [InlineData("/dev/zero")]
    [InlineData("/dev/urandom")]
    [InlineData("/dev/null")]
    public void Devices_are_refused_without_being_read(string device)
    {
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<PlannerInputException>(() => HfConfigLoader.Load(device));
        Assert.Contains("empty or not a regular file", e.Message);
        Assert.True(clock.Elapsed.TotalSeconds < 2);
    }

    [Fact]
    public async Task A_fifo_is_refused_without_blocking()
    {
        string fifo = Path.Combine(root, "config.json");
        using (var p = Process.Start(new ProcessStartInfo("mkfifo", [fifo]) { UseShellExecute = false })!) p.WaitForExit();
        var load = Task.Run(() => Assert.Throws<PlannerInputException>(() => HfConfigLoader.Load(fifo)));
        Assert.Same(load, await Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(10))));   // else reading the FIFO blocked
        Assert.Contains("not a regular file", (await load).Message);
        // A folder whose config.json is a FIFO: the same.
        Assert.Contains("not a regular file", Assert.Throws<PlannerInputException>(() => HfConfigLoader.Load(root)).Message);
    }

    [Fact]
    public void Folders_files_and_sizes_get_their_own_message()
    {
        Assert.Contains("has no config.json", Assert.Throws<PlannerInputException>(() => HfConfigLoader.Load(root)).Message);
        string big = Path.Combine(root, "big.json");
        using (var f = File.Create(big)) f.SetLength(InputFile.MaxBytes + 1);
        Assert.Contains("at most 16,777,216 are read", Assert.Throws<PlannerInputException>(() => HfConfigLoader.Load(big)).Message);
        Assert.Contains("not found", Assert.Throws<PlannerInputException>(() => HfConfigLoader.Load(Path.Combine(root, "nope.json"))).Message);
        string sub = Path.Combine(root, "sub");
        Directory.CreateDirectory(sub);
        Assert.Contains("is a folder, not a file", Assert.Throws<PlannerInputException>(() => InputFile.ReadText(sub, "training arguments")).Message);
    }

    [Theory]
    [InlineData("regex:(.+)+x")]
    [InlineData("regex:(a|aa)*b")]
    [InlineData("regex:(a*)*$x")]
    [InlineData("(.+)+x,(x+x+)+y")]
    public void Catastrophic_patterns_match_in_linear_time(string targets)
    {
        // Before: regex:(.+)+x never finished (backtracking over every module name).
        var clock = Stopwatch.StartNew();
        var t = TargetModules.Parse(targets);
        for (int k = 0; k < 2000; k++) t.Matches("model.layers.31.self_attn.q_proj" + new string('a', k % 64));
        Assert.True(clock.Elapsed.TotalSeconds < 5, $"took {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Theory]
    [InlineData("regex:(a)\\1", "construct")]            // a backreference needs backtracking
    [InlineData("regex:[", "not a valid regex")]
    public void Patterns_the_engine_cannot_run_are_input_errors(string targets, string fragment) =>
        Assert.Contains(fragment, Assert.Throws<PlannerInputException>(() => TargetModules.Parse(targets)).Message);
}
