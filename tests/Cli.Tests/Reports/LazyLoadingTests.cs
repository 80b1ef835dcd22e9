namespace GaLore.Cli.Tests.Reports;

/// <summary>The report commands' libraries load only when a report command runs: <c>fit</c> stays fast.</summary>
public class LazyLoadingTests
{
    [Theory]
    [InlineData("fit")]
    [InlineData("gpus")]
    [InlineData("--help")]
    public void Other_commands_do_not_load_chart_or_csv_libraries(string command)
    {
        var (exit, _, err) = ProcessRunner.Run(new Dictionary<string, string> { ["GALORE_PLAN_LIST_ASSEMBLIES"] = "1" }, command);
        Assert.Equal(0, exit);
        foreach (var name in new[] { "ScottPlot", "SkiaSharp", "HarfBuzzSharp", "CsvHelper" })
            Assert.DoesNotContain("loaded: " + name, err);
    }

    [Fact]
    public void Sweep_without_out_does_not_load_them_either_and_neither_command_loads_TorchSharp()
    {
        var (exit, _, err) = ProcessRunner.Run(new Dictionary<string, string> { ["GALORE_PLAN_LIST_ASSEMBLIES"] = "1" },
            "sweep", "--vary", "batch=1..4", "--json");
        Assert.Equal(0, exit);
        Assert.DoesNotContain("loaded: ScottPlot", err);
        Assert.DoesNotContain("loaded: TorchSharp", err);
        Assert.DoesNotContain("loaded: GaLore.Kernels", err);
    }
}
