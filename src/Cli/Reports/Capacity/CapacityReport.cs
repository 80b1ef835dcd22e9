using GaLore.Planner.Capacity;
using GaLore.Planner.Devices;

namespace GaLore.Cli.Reports.Capacity;

/// <summary>
/// Writes a capacity report folder: <c>report.md</c>, <c>report.html</c>, <c>capacity.csv</c> and
/// <c>charts/</c> (PNG, SVG and CSV per chart). Existing files of the same names are replaced; nothing else in
/// the folder is touched.
/// </summary>
public static class CapacityReport
{
    /// <summary>Writes every file; returns the paths written, relative to <paramref name="dir"/>.</summary>
    public static IReadOnlyList<string> Write(string dir, CapacityResult result, string command)
    {
        Directory.CreateDirectory(dir);
        CapacityFiles.WriteRows(dir, result);
        var figures = new Dictionary<GpuSpec, List<Figure>>();
        foreach (var chart in result.Charts)
        {
            var list = figures.TryGetValue(chart.Gpu, out var l) ? l : figures[chart.Gpu] = [];
            list.Add(CapacityFiles.WriteBreakdown(dir, result, chart));
            if (CapacityFiles.WriteRankCurves(dir, result, chart) is { } rank) list.Add(rank);
        }
        var doc = CapacityDocument.Build(result, command, figures);
        AtomicFile.WriteText(Path.Combine(dir, "report.md"), MarkdownPage.Render(doc));
        AtomicFile.WriteText(Path.Combine(dir, "report.html"), HtmlPage.Render(doc, dir));
        return ["report.md", "report.html", CapacityFiles.RowsCsv, .. doc.Figures.SelectMany(f => new[] { f.Png, f.Svg, f.Csv })];
    }
}
