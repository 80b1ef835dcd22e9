using GaLore.Cli.Reports.Charts;
using ScottPlot;

namespace GaLore.Cli.Reports.Tune;

/// <summary>
/// Training-loss curves, one line per run, without markers (hundreds of steps per run); the last
/// <c>baselines</c> series — the full-rank baselines — are drawn dashed in black and greys so the GaLore runs read against
/// them, and an optional dotted line marks the lowest loss reachable.
/// </summary>
public static class LossCurveChart
{
    /// <summary>Draws and saves the chart (PNG and SVG).</summary>
    public static void Save(string dir, string stem, ChartLabels labels, IReadOnlyList<XySeries> runs, int baselines, double? floor, string floorLabel)
    {
        var plot = ChartCanvas.New(labels);
        Color[] greys = [Colors.Black, Color.FromHex("#6B6B6B"), Color.FromHex("#A8A8A8")];
        for (int s = 0; s < runs.Count; s++)
        {
            var run = runs[s];
            int b = s - (runs.Count - baselines);
            bool baseline = b >= 0;
            var line = plot.Add.ScatterLine(run.X.ToArray(), run.Y.ToArray(), baseline ? greys[b % greys.Length] : ChartCanvas.ColorOf(s));
            line.LegendText = run.Name;
            line.LineWidth = baseline ? 2.5f : 1.6f;
            if (baseline) line.LinePattern = LinePattern.Dashed;
        }
        if (floor is { } f)
        {
            var h = plot.Add.HorizontalLine(f, 1.5f, Colors.Gray, LinePattern.Dotted);
            h.LegendText = floorLabel;
        }
        plot.Axes.AutoScale();
        plot.ShowLegend(Edge.Right);
        ChartCanvas.Save(plot, dir, stem, 1000, 560);
    }
}
