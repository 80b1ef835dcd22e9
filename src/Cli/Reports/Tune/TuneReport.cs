using GaLore.Profiler.Tuning;

namespace GaLore.Cli.Reports.Tune;

/// <summary>
/// Writes a tune folder: <c>tune.md</c>, <c>tune.html</c>, the charts (memory against rank, overhead against T, and the
/// proxy's loss curves when it ran) as PNG + SVG + CSV, and <c>refresh.csv</c> with every refresh timing.
/// </summary>
public static class TuneReport
{
    /// <summary>Name of the per-shape refresh timings CSV.</summary>
    public const string RefreshCsv = "refresh.csv";

    /// <summary>Writes every file; returns their paths relative to <paramref name="dir"/>.</summary>
    public static IReadOnlyList<string> Write(string dir, TuneResult result, string command)
    {
        Directory.CreateDirectory(dir);
        var memory = TuneCharts.Memory(dir, result);
        var overhead = TuneCharts.Overhead(dir, result);
        var loss = result.Quality is { } q ? TuneCharts.Loss(dir, q) : null;
        TuneCharts.RefreshCsv(Path.Combine(dir, RefreshCsv), result);
        var files = new List<string> { "tune.md", "tune.html", RefreshCsv };
        foreach (var f in new[] { memory, overhead, loss }.OfType<Figure>()) files.AddRange([f.Png, f.Svg, f.Csv]);
        var doc = TuneDocument.Build(result, command, new TuneFigures(memory, overhead, loss), files);
        AtomicFile.WriteText(Path.Combine(dir, "tune.md"), MarkdownPage.Render(doc));
        AtomicFile.WriteText(Path.Combine(dir, "tune.html"), HtmlPage.Render(doc, dir));
        return files;
    }
}
