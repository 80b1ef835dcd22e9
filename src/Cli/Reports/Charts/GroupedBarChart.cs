using ScottPlot;

namespace GaLore.Cli.Reports.Charts;

/// <summary>
/// Vertical bars per category, one bar per series side by side (e.g. predicted and measured GiB for each
/// memory category, or the error per optimizer). Negative values grow downward from 0.
/// </summary>
public static class GroupedBarChart
{
    /// <summary>Draws and saves the chart as PNG and SVG.</summary>
    /// <param name="dir">Report folder.</param>
    /// <param name="stem">File path without extension, relative to <paramref name="dir"/>.</param>
    /// <param name="labels">Title and axis labels.</param>
    /// <param name="categories">Category names along x.</param>
    /// <param name="series">One series per bar in each group, each with one value per category.</param>
    public static void Save(string dir, string stem, ChartLabels labels, IReadOnlyList<string> categories, IReadOnlyList<Series> series)
    {
        foreach (var s in series)
            if (s.Values.Count != categories.Count)
                throw new ArgumentException($"series '{s.Name}' has {s.Values.Count} values for {categories.Count} categories");
        var plot = ChartCanvas.New(labels);
        int k = Math.Max(series.Count, 1);
        double width = 0.8 / k;
        for (int s = 0; s < series.Count; s++)
        {
            var bars = new List<Bar>();
            for (int c = 0; c < categories.Count; c++)
                bars.Add(new Bar
                {
                    Position = c - 0.4 + width * (s + 0.5), Value = series[s].Values[c], Size = width * 0.92,
                    FillColor = ChartCanvas.ColorOf(s), LineWidth = 0,
                });
            var bp = plot.Add.Bars(bars);
            bp.LegendText = series[s].Name;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, categories.Count).Select(i => (double)i).ToArray(), categories.ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Grid.XAxisStyle.MajorLineStyle.Width = 0;
        bool negative = series.Any(x => x.Values.Any(v => v < 0));
        plot.Axes.Margins(bottom: negative ? 0.1 : 0, top: 0.1);
        if (categories.Any(c => c.Length > 10))
        {
            // Long names (optimizer names) would overlap: slant them.
            plot.Axes.Bottom.TickLabelStyle.Rotation = -35;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
            plot.Axes.Bottom.MinimumSize = 150;
        }
        if (series.Count > 1) plot.ShowLegend(Edge.Right);
        ChartCanvas.Save(plot, dir, stem, Math.Max(720, 110 * categories.Count + 200), 520);
    }
}
