using ScottPlot;

namespace GaLore.Cli.Reports.Charts;

/// <summary>
/// A parity plot: points (x = one estimate, y = another, e.g. predicted against measured peak in GiB), one
/// colour per group, and the line y = x across the data's range; points on the line agree exactly.
/// Made for the profiler's validation report.
/// </summary>
public static class ParityChart
{
    /// <summary>Draws and saves the chart as PNG and SVG.</summary>
    /// <param name="dir">Report folder.</param>
    /// <param name="stem">File path without extension, relative to <paramref name="dir"/>.</param>
    /// <param name="labels">Title and axis labels (both axes share one unit).</param>
    /// <param name="groups">Point groups (e.g. one per optimizer).</param>
    public static void Save(string dir, string stem, ChartLabels labels, IReadOnlyList<XySeries> groups)
    {
        var plot = ChartCanvas.New(labels);
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        for (int g = 0; g < groups.Count; g++)
        {
            var grp = groups[g];
            if (grp.X.Count != grp.Y.Count) throw new ArgumentException($"group '{grp.Name}' has {grp.X.Count} x and {grp.Y.Count} y values");
            if (grp.X.Count == 0) continue;
            var points = plot.Add.ScatterPoints(grp.X.ToArray(), grp.Y.ToArray(), ChartCanvas.ColorOf(g));
            points.LegendText = grp.Name;
            points.MarkerSize = 8;
            lo = Math.Min(lo, Math.Min(grp.X.Min(), grp.Y.Min()));
            hi = Math.Max(hi, Math.Max(grp.X.Max(), grp.Y.Max()));
        }
        if (double.IsFinite(lo))
        {
            double pad = Math.Max((hi - lo) * 0.05, 1e-9);
            lo = Math.Max(0, lo - pad);
            hi += pad;
            var diagonal = plot.Add.Line(lo, lo, hi, hi);
            diagonal.LineColor = Colors.Black.WithAlpha(0.6);
            diagonal.LinePattern = LinePattern.Dashed;
            diagonal.LineWidth = 1.5f;
            diagonal.LegendText = "y = x";
            plot.Axes.SetLimits(lo, hi, lo, hi);
        }
        plot.ShowLegend(Edge.Right);
        ChartCanvas.Save(plot, dir, stem, 820, 640);
    }
}
