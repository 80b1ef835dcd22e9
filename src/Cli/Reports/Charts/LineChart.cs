using ScottPlot;

namespace GaLore.Cli.Reports.Charts;

/// <summary>
/// Lines with markers, one per series (e.g. largest batch against GaLore rank, one line per optimizer).
/// The x axis can be base-2 logarithmic (ranks, batches and sequence lengths are powers of two). Series are
/// drawn in order, each a little thinner than the one before, so coinciding series remain distinguishable.
/// </summary>
public static class LineChart
{
    /// <summary>Draws and saves the chart as PNG and SVG.</summary>
    /// <param name="dir">Report folder.</param>
    /// <param name="stem">File path without extension, relative to <paramref name="dir"/>.</param>
    /// <param name="labels">Title and axis labels.</param>
    /// <param name="series">The lines; series without points are listed in the legend only.</param>
    /// <param name="log2X">Plot x on a base-2 logarithmic scale with a tick at every x value.</param>
    /// <param name="yFromZero">Start the y axis at 0.</param>
    /// <param name="integerY">Only integer y ticks (counts such as a batch size).</param>
    public static void Save(string dir, string stem, ChartLabels labels, IReadOnlyList<XySeries> series, bool log2X = false, bool yFromZero = true,
        bool integerY = false)
    {
        var plot = ChartCanvas.New(labels);
        MarkerShape[] shapes = [MarkerShape.FilledCircle, MarkerShape.FilledSquare, MarkerShape.FilledTriangleUp,
            MarkerShape.FilledDiamond, MarkerShape.FilledTriangleDown, MarkerShape.OpenCircle];
        for (int s = 0; s < series.Count; s++)
        {
            var ser = series[s];
            if (ser.X.Count != ser.Y.Count) throw new ArgumentException($"series '{ser.Name}' has {ser.X.Count} x and {ser.Y.Count} y values");
            double[] xs = ser.X.Select(x => log2X ? Math.Log2(x) : x).ToArray();
            var color = ChartCanvas.ColorOf(s);
            if (xs.Length == 0)
            {
                plot.Legend.ManualItems.Add(new LegendItem { LabelText = ser.Name + " (no points)", LineColor = color, LineWidth = 2 });
                continue;
            }
            var line = plot.Add.Scatter(xs, ser.Y.ToArray(), color);
            line.LegendText = ser.Name;
            // Earlier series are drawn wider, so a series that coincides with a later one still shows around it.
            float t = series.Count > 1 ? s / (float)(series.Count - 1) : 1;
            line.LineWidth = 4.5f - 2.5f * t;
            line.MarkerSize = 12 - 5 * t;
            line.MarkerShape = shapes[s % shapes.Length];
        }
        if (log2X) ChartCanvas.Log2Ticks(plot.Axes.Bottom, series.SelectMany(x => x.X));
        if (integerY) plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Axes.AutoScale();
        if (yFromZero)
        {
            var limits = plot.Axes.GetLimits();
            double top = Math.Max(1, limits.Top * 1.05);
            plot.Axes.SetLimitsY(-0.03 * top, top);   // a little below 0, so a series lying at 0 stays visible
        }
        plot.ShowLegend(Edge.Right);
        ChartCanvas.Save(plot, dir, stem, 1000, 520);
    }
}
