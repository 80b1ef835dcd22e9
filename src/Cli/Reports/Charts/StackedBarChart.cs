using ScottPlot;

namespace GaLore.Cli.Reports.Charts;

/// <summary>
/// Horizontal stacked bars: one bar per category (listed top to bottom in the given order), one stacked
/// layer per series (e.g. weights, gradients, optimizer states, activations, other), and an optional
/// vertical limit line (e.g. the GPU's capacity). Horizontal so long category names read without rotation.
/// </summary>
public static class StackedBarChart
{
    /// <summary>Draws and saves the chart as PNG and SVG (<see cref="ChartCanvas.Save"/>).</summary>
    /// <param name="dir">Report folder.</param>
    /// <param name="stem">File path without extension, relative to <paramref name="dir"/>.</param>
    /// <param name="labels">Title; <see cref="ChartLabels.XLabel"/> is the value axis, <see cref="ChartLabels.YLabel"/> the category axis.</param>
    /// <param name="categories">Bar names.</param>
    /// <param name="layers">One series per stacked layer, each with one value per category.</param>
    /// <param name="limit">Where to draw the limit line, in the value unit; null for none.</param>
    /// <param name="limitLabel">Legend text of the limit line.</param>
    public static void Save(string dir, string stem, ChartLabels labels, IReadOnlyList<string> categories,
        IReadOnlyList<Series> layers, double? limit = null, string? limitLabel = null)
    {
        foreach (var layer in layers)
            if (layer.Values.Count != categories.Count)
                throw new ArgumentException($"layer '{layer.Name}' has {layer.Values.Count} values for {categories.Count} bars");
        var plot = ChartCanvas.New(labels);
        var colors = layers.Select((l, i) => l.Color is { } hex ? Color.FromHex(hex) : ChartCanvas.ColorOf(i)).ToArray();
        int n = categories.Count;
        var bars = new List<Bar>();
        for (int i = 0; i < n; i++)
        {
            double start = 0;
            for (int l = 0; l < layers.Count; l++)
            {
                double v = layers[l].Values[i];
                bars.Add(new Bar
                {
                    Position = n - 1 - i, ValueBase = start, Value = start + v, Size = 0.72,
                    FillColor = colors[l], LineWidth = 0, Orientation = Orientation.Horizontal,
                });
                start += v;
            }
        }
        var barPlot = plot.Add.Bars(bars);
        barPlot.Horizontal = true;
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, n).Select(i => (double)(n - 1 - i)).ToArray(), categories.ToArray());
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Grid.YAxisStyle.MajorLineStyle.Width = 0;
        for (int l = 0; l < layers.Count; l++)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = layers[l].Name, FillColor = colors[l] });
        if (limit is { } x)
        {
            var line = plot.Add.VerticalLine(x, 2, Colors.Black, LinePattern.Dashed);
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = limitLabel ?? "limit", LineColor = Colors.Black, LineWidth = 2, LinePattern = LinePattern.Dashed });
            line.ExcludeFromLegend = true;
        }
        plot.ShowLegend(Edge.Right);
        plot.Axes.Margins(left: 0, right: 0.06, bottom: 0.03, top: 0.03);
        ChartCanvas.Save(plot, dir, stem, 1100, 130 + 36 * Math.Max(n, 5));
    }
}
