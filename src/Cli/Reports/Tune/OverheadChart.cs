using System.Globalization;
using GaLore.Cli.Reports.Charts;
using ScottPlot;

namespace GaLore.Cli.Reports.Tune;

/// <summary>
/// Refresh overhead against update_proj_gap: x is T on a base-2 logarithmic axis (ticked at each T), y the overhead in
/// percent of step time on a base-10 logarithmic axis — SVD and randomized overheads differ by orders of magnitude, and
/// overhead ∝ 1/T is a straight line of slope −1 there. A dashed horizontal line marks the budget.
/// </summary>
public static class OverheadChart
{
    /// <summary>Draws and saves the chart (PNG and SVG). Series values are fractions (0.05 = 5 %); non-positive values are skipped.</summary>
    public static void Save(string dir, string stem, ChartLabels labels, IReadOnlyList<XySeries> series, double budget)
    {
        var plot = ChartCanvas.New(labels);
        var all = new List<double> { budget * 100 };
        for (int s = 0; s < series.Count; s++)
        {
            var ser = series[s];
            var pts = ser.X.Zip(ser.Y).Where(p => p.First > 0 && p.Second > 0).ToArray();
            if (pts.Length == 0) continue;
            all.AddRange(pts.Select(p => p.Second * 100));
            var line = plot.Add.Scatter(pts.Select(p => Math.Log2(p.First)).ToArray(), pts.Select(p => Math.Log10(p.Second * 100)).ToArray(), ChartCanvas.ColorOf(s));
            line.LegendText = ser.Name;
            line.LineWidth = 3;
            line.MarkerSize = 9;
        }
        var budgetLine = plot.Add.HorizontalLine(Math.Log10(budget * 100), 2, Colors.Black, LinePattern.Dashed);
        budgetLine.LegendText = $"budget {(budget * 100).ToString("0.##", CultureInfo.InvariantCulture)} %";
        ChartCanvas.Log2Ticks(plot.Axes.Bottom, series.SelectMany(x => x.X));
        double lo = Math.Floor(Math.Log10(all.Min())), hi = Math.Ceiling(Math.Log10(all.Max()));
        if (hi <= lo) hi = lo + 1;
        var ticks = Enumerable.Range((int)lo, (int)(hi - lo) + 1).Select(e => (double)e).ToArray();
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks,
            ticks.Select(e => Math.Pow(10, e).ToString("0.###", CultureInfo.InvariantCulture) + " %").ToArray());
        plot.Axes.AutoScale();
        plot.Axes.SetLimitsY(lo - 0.1, hi + 0.1);
        plot.ShowLegend(Edge.Right);
        ChartCanvas.Save(plot, dir, stem, 1000, 520);
    }
}
