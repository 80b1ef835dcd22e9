using System.Text.Json;
using GaLore.Cli.Options;
using GaLore.Cli.Reports;
using GaLore.Cli.Reports.Sweep;
using GaLore.Planner;
using GaLore.Planner.Devices;
using GaLore.Planner.Fit;
using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Sweep;

namespace GaLore.Cli.Tests.Reports;

public class SweepTests
{
    [Theory]
    [InlineData("rank=64..1024", "64,128,256,512,1024", "1", "256")]
    [InlineData("rank=64..1024,batch=1..64,seq=256..4096", "64,128,256,512,1024", "1,2,4,8,16,32,64", "256,512,1024,2048,4096")]
    [InlineData("rank=64,128,512", "64,128,512", "1", "256")]
    [InlineData("rank=512,64,128,64", "64,128,512", "1", "256")]                 // sorted, repeats dropped
    [InlineData("rank=64,512,batch=1..8", "64,512", "1,2,4,8", "256")]           // a list, then the next axis
    [InlineData("seq=512..2048:512", "128", "1", "512,1024,1536,2048")]
    [InlineData("seq=100..1000", "128", "1", "100,200,400,800,1000")]            // both ends kept
    [InlineData("batch=3", "128", "3", "256")]
    [InlineData("batch=1..4,32", "128", "1,2,4,32", "256")]                       // a range and a value
    [InlineData(" Batch = 2..8 , SEQ=64 ", "128", "2,4,8", "64")]
    public void Vary_syntax(string vary, string ranks, string batches, string seqs)
    {
        var g = VaryOption.Parse([vary], 128, 1, 256);
        Assert.Equal(ranks, string.Join(",", g.Ranks));
        Assert.Equal(batches, string.Join(",", g.Batches));
        Assert.Equal(seqs, string.Join(",", g.Seqs));
    }

    [Fact]
    public void Several_vary_options_combine()
    {
        var g = VaryOption.Parse(["rank=64..128", "batch=2", "seq=128,256"], 128, 1, 256);
        Assert.Equal(2 * 1 * 2, g.Count);
    }

    [Theory]
    [InlineData("unknown axis 'width'", "width=1..4")]
    [InlineData("axis 'rank' is given twice", "rank=64,rank=128")]
    [InlineData("does not start with AXIS=", "64,128")]
    [InlineData("an empty value", "rank=")]
    [InlineData("value 'abc' is not an integer", "batch=abc")]
    [InlineData("value '1.5' is not an integer", "batch=1.5")]
    [InlineData("value 0 must be positive", "batch=0..8")]
    [InlineData("value -4 must be positive", "seq=-4")]
    [InlineData("runs backwards: write 64..1024", "rank=1024..64")]
    [InlineData("step 0 must be positive", "seq=256..1024:0")]
    [InlineData("at most 1,000,000", "batch=1..2000:1,seq=1..2000:1")]
    [InlineData("unknown axis ''", "=64")]
    public void Bad_vary_is_one_line_and_exit_code_2(string fragment, string vary)
    {
        Assert.Throws<PlannerInputException>(() => VaryOption.Parse([vary], 128, 1, 256));
        var (exit, output, error) = CliRunner.Run("sweep", "-m", "llama-60m", "--vary", vary);
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.StartsWith("error: --vary: ", error);
        Assert.Contains(fragment, error);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void A_rank_too_large_for_the_model_is_bad_input_before_any_work()
    {
        var (exit, _, error) = CliRunner.Run("sweep", "-m", "llama-60m", "-o", "galore_adamw", "--vary", "rank=64..1024");
        Assert.Equal(2, exit);
        Assert.Contains("rank 1024 is larger than", error);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void Sweep_csv_has_one_row_per_grid_point()
    {
        using var dir = new ReportFolder();
        var (exit, output, error) = CliRunner.Run("sweep", "-m", "llama-1b", "-o", "galore_adamw_8bit", "-g", "rtx-4090",
            "--vary", "rank=64..512", "--vary", "batch=1..16,seq=256..2048", "--out", dir.Path);
        Assert.Equal(0, exit);
        Assert.Contains("[4/4] rank 512", error);
        var (header, rows) = ReportFolder.ReadCsv(dir["sweep.csv"]);
        Assert.Equal(4 * 5 * 4, rows.Count);
        Assert.Equal(["rank", "batch", "seq", "tokens", "peak_gib"], header.Take(5));
        Assert.Equal(4 * 5 * 4, rows.Select(r => (r[0], r[1], r[2])).Distinct().Count());
        Assert.Equal(4 * 4, ReportFolder.ReadCsv(dir["frontier.csv"]).Rows.Count);
        foreach (var f in new[] { "sweep.md", "sweep.html", "frontier.png", "frontier.svg" }) Assert.True(File.Exists(dir[f]), f);
        string md = File.ReadAllText(dir["sweep.md"]);
        Assert.Contains("hits the limit first", md);
        Assert.Contains("points evaluated per second", md);
        Assert.Contains("Monotone", md);
        Assert.Contains("sweep.md", output);
    }

    [Fact]
    public void Json_is_the_only_thing_on_stdout_and_agrees_with_fit()
    {
        var (exit, output, error) = CliRunner.Run("sweep", "--vary", "rank=64..256,batch=1..8,seq=256..1024", "--json", "--timings");
        Assert.Equal(0, exit);
        Assert.Contains("[3/3]", error);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal(3 * 4 * 3, root.GetProperty("points_evaluated").GetInt32());
        Assert.Equal(3 * 4 * 3, root.GetProperty("points").GetArrayLength());
        Assert.True(root.GetProperty("points_per_second").GetDouble() > 0);
        Assert.Equal("batch", root.GetProperty("limit").GetProperty("first")[0].GetString());
        Assert.Equal(0, root.GetProperty("limit").GetProperty("non_monotone_pairs").GetInt32());

        // The default fit (llama-7b, galore_adamw_8bit_layerwise, rank 128, batch 1 × 256, RTX 4090) is one of the points.
        using var fit = JsonDocument.Parse(CliRunner.Run("fit", "--json").Out);
        var point = root.GetProperty("points").EnumerateArray().Single(p =>
            p.GetProperty("rank").GetInt32() == 128 && p.GetProperty("batch").GetInt32() == 1 && p.GetProperty("seq").GetInt32() == 256);
        Assert.Equal(fit.RootElement.GetProperty("peak_bytes").GetInt64(), point.GetProperty("peak_bytes").GetInt64());
        var frontier = root.GetProperty("frontier").EnumerateArray().Single(f => f.GetProperty("rank").GetInt32() == 128 && f.GetProperty("seq").GetInt32() == 256);
        Assert.Equal(fit.RootElement.GetProperty("max_batch").GetInt32(), frontier.GetProperty("max_batch").GetInt32());
    }

    [Fact]
    public void Limit_positions_follow_the_definition()
    {
        // llama-7b galore 8-bit layerwise on a 4090 (README): batch 1 × 256 fits, max batch 6, so batch 8 is the first
        // batch value that fails: index 3 of 1..64 (7 values) → 0.5.
        var (_, output, _) = CliRunner.Run("sweep", "--vary", "batch=1..64,seq=256..4096", "--json");
        using var doc = JsonDocument.Parse(output);
        var axes = doc.RootElement.GetProperty("limit").GetProperty("axes").EnumerateArray().ToDictionary(a => a.GetProperty("axis").GetString()!);
        Assert.Equal(8, axes["batch"].GetProperty("first_failing").GetInt32());
        Assert.Equal(0.5, axes["batch"].GetProperty("position").GetDouble(), 9);
        Assert.Equal(2048, axes["seq"].GetProperty("first_failing").GetInt32());   // 1536 tokens fit at batch 1 (report), 2048 do not
        Assert.Equal(0.75, axes["seq"].GetProperty("position").GetDouble(), 9);
        Assert.True(axes["seq"].GetProperty("bytes_per_doubling").GetInt64() > 0);
    }

    [Fact]
    public void A_peak_that_decreases_is_worded_under_checks()
    {
        var query = new FitQuery(new StepSpec(ModelPresets.Find("llama-7b")!, OptimizerSetup.FromName("galore_adamw_8bit_layerwise"),
            new Precision(PrecisionMode.Bf16)), 1, 256, GpuCatalog.Resolve("rtx-4090"));
        long gib = 1L << 30;
        var result = new SweepResult(query, new SweepGrid([64], [1, 2], [256]),
            [new SweepPoint(64, 1, 256, 20 * gib, 20 * gib, 20 * gib, default, "forward"), new SweepPoint(64, 2, 256, 19 * gib, 19 * gib, 19 * gib, default, "forward")],
            2, [new FrontierPoint(64, 256, 2, 2)], [], 0, 0, 1);
        var verdict = new LimitVerdict(20 * gib, true, [], [], [new NonMonotonePair(SweepAxis.Batch, 1, 2, 64, 1, 256, 20 * gib, 19 * gib)]);
        string md = MarkdownPage.Render(SweepDocument.Build(result, verdict, "galore-plan sweep", frontier: null));
        Assert.Contains("**Not monotone** at 1 neighbouring pair(s)", md);
        Assert.Contains("batch 1 → 2 at rank 64, batch 1, seq 256: 20.00 GiB → 19.00 GiB", md);
    }
}
