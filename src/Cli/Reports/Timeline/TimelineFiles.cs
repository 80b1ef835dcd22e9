using GaLore.Cli.Reports.Capacity;
using GaLore.Planner.Fit;
using GaLore.Planner.Memory;
using ScottPlot;

namespace GaLore.Cli.Reports.Timeline;

/// <summary>
/// <c>fit --timeline FILE</c>: the predicted allocation timeline of one step — bytes alive per category after every
/// allocation and free (the allocated view: tensors with the allocator's 512-byte rounding), as a CSV and a stacked
/// area chart (PNG and SVG) with the phases marked, the peak annotated and the usable capacity drawn — what PyTorch's
/// memory_viz shows of a recorded run (<c>torch.cuda.memory._record_memory_history</c>), before the run.
/// </summary>
public static class TimelineFiles
{
    /// <summary>Writes <c>{stem}.csv</c>, <c>{stem}.png</c> and <c>{stem}.svg</c> (a <c>.csv</c>, <c>.png</c> or <c>.svg</c>
    /// ending of <paramref name="path"/> is dropped to get the stem); returns the paths written.</summary>
    public static IReadOnlyList<string> Write(string path, FitResult result)
    {
        string stem = path;
        foreach (var ext in new[] { ".csv", ".png", ".svg" })
            if (stem.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) stem = stem[..^ext.Length];
        if (stem.Length == 0 || stem.EndsWith('/')) throw new GaLore.Planner.PlannerInputException($"--timeline '{path}' names no file");
        var q = result.Query;
        var program = DevicePrograms.Compile(q.Step, q.Device).Allocated;
        long tokens = (long)q.Batch * q.Seq;
        var points = program.Timeline(tokens, q.Seq).ToList();
        string dir = Path.GetDirectoryName(Path.GetFullPath(stem))!;
        string name = Path.GetFileName(stem);
        CsvOut.Write(stem + ".csv", ["event", "phase", "label", .. CapacityFiles.Layers.Select(l => l.Name.Replace(' ', '_') + "_bytes"), "total_bytes"],
            points.Select(p => (IReadOnlyList<object?>)[p.Index, p.Phase, p.Label, .. CapacityFiles.Layers.Select(l => (object?)p.Alive[l.Category]), p.Alive.Total]));
        Chart(dir, name, result, points);
        return [stem + ".csv", stem + ".png", stem + ".svg"];
    }

    static void Chart(string dir, string name, FitResult result, List<TimelinePoint> points)
    {
        var q = result.Query;
        var s = q.Step;
        const double GiB = 1L << 30;
        var plot = Charts.ChartCanvas.New(new Charts.ChartLabels(
            $"{s.Model.Name} · {s.Optimizer.Spec.Name} · batch {q.Batch} × {q.Seq} on {q.Gpu.DisplayName}: predicted memory over one step\n{SettingsLine.Of(s)}",
            "event of the step (allocations and frees, in order)", "allocated, GiB (2³⁰ bytes)"));
        double[] xs = points.Select(p => (double)p.Index).ToArray();
        var below = new double[points.Count];
        foreach (var layer in CapacityFiles.Layers)
        {
            var above = new double[points.Count];
            for (int i = 0; i < points.Count; i++) above[i] = below[i] + points[i].Alive[layer.Category] / GiB;
            var fill = plot.Add.FillY(xs, above, below);
            fill.FillColor = Color.FromHex(layer.Color).WithAlpha(0.85);
            fill.LineWidth = 0;
            fill.LegendText = layer.Name;
            below = above;
        }
        // Phase boundaries: where the phase's first word changes (forward, backward, optimizer step, zero_grad).
        string? last = null;
        foreach (var p in points)
        {
            string phase = p.Phase.Split(':')[0];
            if (phase == last) continue;
            last = phase;
            if (p.Index == 0) continue;
            var line = plot.Add.VerticalLine(p.Index, 1, Colors.Gray, LinePattern.Dotted);
            line.ExcludeFromLegend = true;
            line.Text = phase;
            line.LabelFontSize = 12;
        }
        int peakAt = 0;
        for (int i = 1; i < points.Count; i++)
            if (points[i].Alive.Total > points[peakAt].Alive.Total) peakAt = i;
        double peak = points[peakAt].Alive.Total / GiB;
        var marker = plot.Add.Marker(points[peakAt].Index, peak, MarkerShape.FilledCircle, 9, Colors.Black);
        var text = plot.Add.Text($"peak {peak:0.00} GiB allocated ({points[peakAt].Phase}: {points[peakAt].Label}); " +
                                 $"device-used {result.Estimate.DeviceUsedBytes / GiB:0.00} GiB", points[peakAt].Index, peak);
        text.LabelFontSize = 12;
        text.LabelAlignment = peakAt > points.Count / 2 ? Alignment.LowerRight : Alignment.LowerLeft;
        var cap = plot.Add.HorizontalLine(q.UsableBytes / GiB, 2, Colors.Black, LinePattern.Dashed);
        cap.LegendText = $"usable {q.UsableBytes / GiB:0.00} GiB ({q.Gpu.Name})";
        plot.Axes.AutoScale();
        var limits = plot.Axes.GetLimits();
        plot.Axes.SetLimitsY(0, Math.Max(limits.Top, q.UsableBytes / GiB) * 1.08);
        plot.ShowLegend(Edge.Right);
        Charts.ChartCanvas.Save(plot, dir, name, 1300, 560);
    }
}
