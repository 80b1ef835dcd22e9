namespace GaLore.Cli.Tests.Reports;

public class ReportCommandTests
{
    static readonly string[] SmallGrid = ["--models", "tiny,llama-60m", "--optims", "adamw,galore_adamw_8bit_layerwise", "--gpu", "24GiB"];

    [Fact]
    public void A_small_report_writes_every_file_and_one_csv_row_per_configuration()
    {
        using var dir = new ReportFolder();
        var (exit, output, error) = CliRunner.Run(["report", .. SmallGrid, "--out", dir.Path]);
        Assert.Equal(0, exit);
        Assert.Contains("[3/3]", error);
        foreach (var f in new[] { "report.md", "report.html", "capacity.csv" }) Assert.True(File.Exists(dir[f]), f);
        var (header, rows) = ReportFolder.ReadCsv(dir["capacity.csv"]);
        Assert.Equal(1 * 2 * 2, rows.Count);
        Assert.Contains("peak_gib", header);
        Assert.Contains("max_batch", header);
        Assert.Contains("max_seq", header);
        // tiny's smaller side (64) is below the default rank (128): an invalid row, not an error.
        var tinyGalore = rows.Single(r => r[Array.IndexOf(header, "model")] == "tiny" && r[Array.IndexOf(header, "optimizer")] == "galore_adamw_8bit_layerwise");
        Assert.Equal("false", tinyGalore[Array.IndexOf(header, "valid")]);
        Assert.Contains("rank 128", tinyGalore[Array.IndexOf(header, "note")]);
        Assert.Equal(2, rows.Count(r => r[Array.IndexOf(header, "recommended")] == "true"));

        // Every chart: PNG, SVG and CSV; the CLI lists exactly the files it wrote.
        var charts = Directory.GetFiles(dir["charts"]);
        Assert.Equal(6, charts.Length);
        Assert.All(charts.Where(c => c.EndsWith(".png")), c => Assert.True(ReportFolder.IsPng(c), c));
        Assert.All(charts.Where(c => c.EndsWith(".svg")), c => Assert.True(ReportFolder.IsSvg(c), c));
        var listed = output.Split('\n').Skip(1).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        Assert.Equal(9, listed.Count);
        Assert.All(listed, f => Assert.True(File.Exists(dir[f]), f));

        var breakdown = ReportFolder.ReadCsv(dir["charts/breakdown-24gib-llama-60m.csv"]);
        Assert.Equal(2, breakdown.Rows.Count);
        Assert.Contains("optimizer_states_gib", breakdown.Header);
        var rank = ReportFolder.ReadCsv(dir["charts/rank-24gib-llama-60m.csv"]);
        Assert.Equal([64, 128, 256, 512], rank.Rows.Select(r => int.Parse(r[1])));   // 1024 > llama-60m's width (512)

        string md = File.ReadAllText(dir["report.md"]);
        Assert.Contains("dotnet run --project src/Cli -c Release -- report --models tiny,llama-60m", md);
        Assert.Contains("(GiB)", md);
        Assert.Contains("![", md);
    }

    [Fact]
    public void Peak_and_max_batch_match_fit()
    {
        using var dir = new ReportFolder();
        Assert.Equal(0, CliRunner.Run("report", "--models", "llama-1b", "--optims", "galore_adamw", "--gpu", "rtx-3090", "--seq", "512", "--out", dir.Path).Exit);
        var (header, rows) = ReportFolder.ReadCsv(dir["capacity.csv"]);
        using var fit = System.Text.Json.JsonDocument.Parse(CliRunner.Run("fit", "-m", "llama-1b", "-o", "galore_adamw", "-g", "rtx-3090", "--seq", "512", "--json").Out);
        var row = rows.Single();
        Assert.Equal(fit.RootElement.GetProperty("max_batch").GetInt32().ToString(), row[Array.IndexOf(header, "max_batch")]);
        double peakGib = fit.RootElement.GetProperty("peak_bytes").GetInt64() / (double)(1L << 30);
        Assert.Equal(peakGib, double.Parse(row[Array.IndexOf(header, "peak_gib")], System.Globalization.CultureInfo.InvariantCulture), 3);
    }

    [Theory]
    [InlineData("unknown model 'gpt-9'", "--models", "llama-60m,gpt-9")]
    [InlineData("unknown optimizer 'sgdw'", "--optims", "adamw,sgdw")]
    [InlineData("unknown GPU 'tpu'", "--gpu", "rtx-4090,tpu")]
    [InlineData("--chart-models: 'llama-7b' is not one of --models", "--models", "llama-60m", "--chart-models", "llama-7b")]
    [InlineData("--seq must be a positive integer", "--seq", "-1")]
    [InlineData("--models is empty", "--models", ",")]
    [InlineData("rank must be positive", "--rank", "0")]
    public void Bad_input_is_one_line_and_exit_code_2(string fragment, params string[] args)
    {
        using var dir = new ReportFolder();
        var (exit, output, error) = CliRunner.Run(["report", .. args, "--out", dir.Path]);
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Contains(fragment, error);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
        Assert.False(Directory.Exists(dir.Path), "nothing is written on bad input");
    }

    [Fact]
    public void Out_is_required()
    {
        var (exit, _, error) = CliRunner.Run("report", "--models", "llama-60m");
        Assert.Equal(2, exit);
        Assert.Contains("--out", error);
    }
}
