using ScottPlot;

namespace GaLore.Cli.Reports.Charts;

/// <summary>Title and axis labels of a chart. Axis labels that show sizes state the unit, e.g. "GiB (2³⁰ bytes)".</summary>
public sealed record ChartLabels(string Title, string XLabel, string YLabel);

/// <summary>A named series of values, one per category; <paramref name="Color"/> (hex, e.g. <c>#8C8C8C</c>) overrides the palette.</summary>
public sealed record Series(string Name, IReadOnlyList<double> Values, string? Color = null);

/// <summary>A named series of (x, y) points.</summary>
public sealed record XySeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>
/// What every chart shares: a plain white style with DejaVu Sans (installed with fontconfig on Debian and
/// Ubuntu, and the face ScottPlot finds headless), one qualitative palette, PNG and SVG written side by side,
/// and tick labels for base-2 logarithmic axes (ScottPlot 5 has no log axis: data are plotted as log₂ x with
/// ticks labelled by x). Nothing here runs unless a report is drawn.
/// </summary>
public static class ChartCanvas
{
    /// <summary>Colours for series, in order: the first eight are seaborn's muted qualitative "deep" palette, the last six
    /// extend it for the default report's fourteen optimizer names.</summary>
    public static readonly string[] Palette =
        ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C", "#CCB974", "#64B5CD", "#1B7837", "#762A83",
         "#B35806", "#2D004B"];

    /// <summary>The i-th palette colour.</summary>
    public static Color ColorOf(int i) => Color.FromHex(Palette[i % Palette.Length]);

    /// <summary>A new plot with the shared style and the given labels.</summary>
    public static Plot New(ChartLabels labels)
    {
        var plot = new Plot();
        plot.Font.Set("DejaVu Sans");
        plot.Title(labels.Title, 17);
        plot.XLabel(labels.XLabel, 14);
        plot.YLabel(labels.YLabel, 14);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 12;
        plot.Axes.Left.TickLabelStyle.FontSize = 12;
        plot.Grid.MajorLineColor = Color.FromHex("#E5E7EB");
        plot.Axes.Frame(true);
        plot.Legend.FontSize = 12;
        plot.Legend.OutlineColor = Color.FromHex("#D0D7DE");
        plot.Legend.ShadowColor = Colors.Transparent;
        return plot;
    }

    /// <summary>Writes <c>{dir}/{stem}.png</c> and <c>{dir}/{stem}.svg</c> at the given size in pixels; the last thing done with
    /// a plot. Skia's SVG canvas has no path effects: a dashed or dotted line came out solid and native Skia printed
    /// "Unsupported path effect in addPaint." on stderr for each, so after the PNG the lines are made solid for the SVG
    /// (colour and width still tell them apart).</summary>
    public static void Save(Plot plot, string dir, string stem, int width, int height)
    {
        string path = Path.Combine(dir, stem);
        if (Path.GetDirectoryName(path) is { Length: > 0 } folder) Directory.CreateDirectory(folder);
        AtomicFile.Write(path + ".png", temp => plot.SavePng(temp, width, height));
        foreach (var line in plot.GetPlottables().OfType<IHasLine>()) line.LineStyle.Pattern = LinePattern.Solid;
        foreach (var item in plot.Legend.ManualItems) item.LinePattern = LinePattern.Solid;
        AtomicFile.Write(path + ".svg", temp => plot.SaveSvg(temp, width, height));
    }

    /// <summary>Ticks at log₂ of each value, labelled with the value (e.g. 64, 128, 256 on a rank axis).</summary>
    public static void Log2Ticks(IAxis axis, IEnumerable<double> values)
    {
        var v = values.Where(x => x > 0).Distinct().Order().ToArray();
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            v.Select(Math.Log2).ToArray(), v.Select(x => x.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)).ToArray());
    }
}
