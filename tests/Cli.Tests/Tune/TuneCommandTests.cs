using System.Text.Json;
using GaLore.Cli.Tests.Reports;

namespace GaLore.Cli.Tests.Tune;

/// <summary>End to end: <c>galore-plan tune</c> on the tiny model in a child process (it loads TorchSharp), with a short
/// proxy run, writing every file and the documented JSON.</summary>
public class TuneCommandTests
{
    static readonly string[] JsonFields =
    [
        "format", "command", "model", "optimizer", "rank", "target_modules", "dtype", "batch", "seq", "gpu", "usable_bytes", "device", "ranks",
        "skipped_ranks", "smallest_projected_side", "memory", "shapes", "throughput", "step", "refresh", "refresh_per_step", "overhead",
        "quality", "recommendation", "files",
    ];

    [Fact]
    public void Tune_on_tiny_writes_the_report_charts_and_csvs_and_prints_the_documented_json()
    {
        using var dir = new ReportFolder();
        var (exit, output, err) = ProcessRunner.Run(null, "tune", "--model", "tiny", "--gpu", "8GiB", "--seq", "64",
            "--ranks", "4,8,64", "--gaps", "50,200", "--train-steps", "8", "--proxy-ranks", "4,8", "--proxy-gaps", "4", "--json", "--out", dir.Path);
        Assert.True(exit == 0, err);
        Assert.Contains("[tune] refresh 64×64", err);                      // progress on stderr

        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        foreach (var field in JsonFields) Assert.True(root.TryGetProperty(field, out _), field);
        Assert.False(root.TryGetProperty("elapsed_seconds", out _));       // timing only with --timings, so runs diff clean
        Assert.Equal([4, 8], root.GetProperty("ranks").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([64], root.GetProperty("skipped_ranks").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(32, root.GetProperty("smallest_projected_side").GetInt32());
        Assert.Equal(4, root.GetProperty("shapes").GetArrayLength());
        Assert.Equal("measured", root.GetProperty("step").GetProperty("source").GetString());   // tiny is small enough to time
        Assert.Equal(2 * 2 * 2, root.GetProperty("overhead").GetArrayLength());               // methods × ranks × gaps
        var rec = root.GetProperty("recommendation");
        Assert.Equal(8, rec.GetProperty("rank").GetInt32());
        Assert.Equal("svd", rec.GetProperty("method").GetString());
        Assert.Contains(rec.GetProperty("update_proj_gap").GetInt32(), new[] { 50, 200 });
        Assert.Equal("randomized", rec.GetProperty("alternative").GetProperty("method").GetString());
        Assert.NotEmpty(rec.GetProperty("basis").EnumerateArray());
        var quality = root.GetProperty("quality");
        Assert.Equal(2 * 1 + 3, quality.GetProperty("runs").GetArrayLength());

        var files = root.GetProperty("files").EnumerateArray().Select(f => f.GetString()!).ToList();
        foreach (var f in new[] { "tune.md", "tune.html", "refresh.csv", "memory-vs-rank.png", "memory-vs-rank.svg", "memory-vs-rank.csv",
                     "overhead-vs-gap.png", "overhead-vs-gap.svg", "overhead-vs-gap.csv", "loss-curves.png", "loss-curves.svg", "loss-curves.csv" })
        {
            Assert.Contains(f, files);
            Assert.True(File.Exists(dir[f]), f);
        }
        Assert.All(files.Where(f => f.EndsWith(".png")), f => Assert.True(ReportFolder.IsPng(dir[f]), f));
        Assert.All(files.Where(f => f.EndsWith(".svg")), f => Assert.True(ReportFolder.IsSvg(dir[f]), f));

        var md = File.ReadAllText(dir["tune.md"]);
        // The command comes first, as it was run (here: dotnet PATH/galore-plan.dll, the way ProcessRunner starts it).
        Assert.Contains("galore-plan.dll tune --model tiny", md.Split("```")[1]);
        Assert.Contains("**Recommended: rank 8, update_proj_gap", md);
        Assert.Contains("(GiB)", md);
        Assert.Contains("refresh overhead", md);
        var (header, rows) = ReportFolder.ReadCsv(dir["overhead-vs-gap.csv"]);
        Assert.Equal(["method", "rank", "gap", "refresh_step_s", "step_s", "step_source", "overhead_pct", "refresh_all_measured"], header);
        Assert.Equal(8, rows.Count);
        Assert.Contains("peak_gib", ReportFolder.ReadCsv(dir["memory-vs-rank.csv"]).Header);
        Assert.Equal(5 * 8, ReportFolder.ReadCsv(dir["loss-curves.csv"]).Rows.Count);   // 5 runs × 8 steps
    }

    [Fact]
    public void Randomized_only_without_proxy_prints_the_summary_and_skips_the_loss_chart()
    {
        using var dir = new ReportFolder();
        var (exit, output, err) = ProcessRunner.Run(null, "tune", "--model", "tiny", "--gpu", "8GiB", "--seq", "32", "--ranks", "8",
            "--gaps", "100", "--refresh", "randomized", "--out", dir.Path);
        Assert.True(exit == 0, err);
        Assert.StartsWith("Recommended: rank 8, update_proj_gap 100 (randomized range finder refresh", output);
        Assert.Contains("Step time (measured)", output);
        Assert.True(File.Exists(dir["tune.html"]));
        Assert.False(File.Exists(dir["loss-curves.png"]));
        Assert.DoesNotContain("## Quality", File.ReadAllText(dir["tune.md"]));
    }
}
