using System.Globalization;
using GaLore.Cli.Output;
using GaLore.Cli.Reports.Charts;
using GaLore.Planner.Sweep;

namespace GaLore.Cli.Reports.Sweep;

/// <summary>
/// Writes a sweep folder: <c>sweep.csv</c> (one row per grid point), the frontier chart (largest batch against
/// sequence length, one line per rank; PNG, SVG and its CSV) and <c>sweep.md</c> / <c>sweep.html</c> saying which
/// axis hits the limit first and how fast the grid was evaluated. Sizes are GiB (2³⁰ bytes).
/// </summary>
public static class SweepReport
{
    /// <summary>Name of the per-point CSV.</summary>
    public const string PointsCsv = "sweep.csv";

    /// <summary>Stem of the frontier chart.</summary>
    public const string FrontierStem = "frontier";

    /// <summary>Writes every file; returns their paths relative to <paramref name="dir"/>.</summary>
    public static IReadOnlyList<string> Write(string dir, SweepResult result, LimitVerdict verdict, string command)
    {
        Directory.CreateDirectory(dir);
        WritePoints(dir, result);
        var figure = WriteFrontier(dir, result);
        var doc = SweepDocument.Build(result, verdict, command, figure);
        AtomicFile.WriteText(Path.Combine(dir, "sweep.md"), MarkdownPage.Render(doc));
        AtomicFile.WriteText(Path.Combine(dir, "sweep.html"), HtmlPage.Render(doc, dir));
        return ["sweep.md", "sweep.html", PointsCsv, figure.Png, figure.Svg, figure.Csv];
    }

    /// <summary>Writes <c>sweep.csv</c>: every axis value, the peak and its breakdown (GiB), and the verdict.</summary>
    public static void WritePoints(string dir, SweepResult result)
    {
        long usable = result.UsableBytes;
        CsvOut.Write(Path.Combine(dir, PointsCsv),
            ["rank", "batch", "seq", "tokens", "peak_gib", "headroom_gib", "fits", "allocated_gib", "reserved_gib",
             "weights_gib", "gradients_gib", "optimizer_states_gib", "activations_gib", "other_gib", "peak_phase"],
            result.Points.Select(p =>
            {
                var b = p.Breakdown;
                return (IReadOnlyList<object?>)
                [
                    p.Rank, p.Batch, p.Seq, (long)p.Batch * p.Seq, CsvOut.Gib(p.DeviceUsedBytes), CsvOut.Gib(usable - p.DeviceUsedBytes),
                    p.DeviceUsedBytes <= usable, CsvOut.Gib(p.AllocatedBytes), CsvOut.Gib(p.ReservedBytes),
                    CsvOut.Gib(b.Weights), CsvOut.Gib(b.Gradients), CsvOut.Gib(b.OptimizerStates), CsvOut.Gib(b.Activations), CsvOut.Gib(b.Other), p.Phase,
                ];
            }));
    }

    /// <summary>Draws the frontier: for each rank, the largest batch that fits against sequence length.</summary>
    public static Figure WriteFrontier(string dir, SweepResult result)
    {
        var q = result.Query;
        bool galore = q.Step.Optimizer.Spec.GaLore;
        var series = Enumerable.Range(0, galore ? result.Grid.Ranks.Count : 1).Select(ri =>
        {
            var pts = result.FrontierOf(ri).ToList();
            return new XySeries(galore ? $"rank {result.Grid.Ranks[ri]}" : q.Step.Optimizer.Spec.Name, pts.Select(f => (double)f.Seq).ToArray(),
                pts.Select(f => (double)f.MaxBatch).ToArray());
        }).ToList();
        LineChart.Save(dir, FrontierStem,
            new ChartLabels($"{q.Step.Model.Name} · {q.Step.Optimizer.Spec.Name} on {q.Gpu.DisplayName}: largest batch that fits\n{SettingsLine.Of(q.Step)}",
                "sequence length, tokens (log₂ scale)", "largest batch that fits (sequences)"),
            series, log2X: true, integerY: true);
        CsvOut.Write(Path.Combine(dir, FrontierStem + ".csv"), ["rank", "seq", "max_batch", "max_grid_batch", "usable_gib"],
            result.Frontier.Select(f => (IReadOnlyList<object?>)[f.Rank, f.Seq, f.MaxBatch, f.MaxGridBatch, CsvOut.Gib(result.UsableBytes)]));
        return new Figure(FrontierStem, $"Largest micro-batch that fits in {Units.Gib(result.UsableBytes)} against sequence length" +
                                        (galore ? ", one line per GaLore rank" : "") + " (exact search, not limited to the grid's batch values).");
    }

    /// <summary>A number with thousands separators.</summary>
    public static string Count(double n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
