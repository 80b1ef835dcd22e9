using GaLore.Cli.Reports.Charts;
using GaLore.Kernels.Projection;
using GaLore.Profiler.Tuning;
using static GaLore.Cli.Reports.Tune.TuneFormat;

namespace GaLore.Cli.Reports.Tune;

/// <summary>
/// Writes the tune report's charts, each as PNG and SVG with the CSV of exactly the numbers drawn (and, for the overhead
/// chart, of every rank): memory against rank, refresh overhead against T per method, and the proxy's loss curves.
/// Sizes are GiB (2³⁰ bytes).
/// </summary>
public static class TuneCharts
{
    /// <summary>Stem of the memory chart.</summary>
    public const string MemoryStem = "memory-vs-rank";

    /// <summary>Stem of the overhead chart.</summary>
    public const string OverheadStem = "overhead-vs-gap";

    /// <summary>Stem of the loss-curve chart.</summary>
    public const string LossStem = "loss-curves";

    /// <summary>Predicted peak, limit and capacity against rank.</summary>
    public static Figure Memory(string dir, TuneResult r)
    {
        var q = r.Request.Query;
        double Gb(long b) => b / (double)(1L << 30);
        var x = r.Memory.Select(m => (double)m.Rank).ToArray();
        long limit = r.Choice.LimitBytes;
        LineChart.Save(dir, MemoryStem,
            new ChartLabels($"{q.Step.Model.Name} · {q.Step.Optimizer.Spec.Name} · {q.Gpu.Name}: predicted peak against rank",
                "GaLore rank (log₂ scale)", "GiB (2³⁰ bytes)"),
            [
                new XySeries($"predicted peak, batch {q.Batch} × {q.Seq}", x, r.Memory.Select(m => Gb(m.PeakBytes)).ToArray()),
                new XySeries($"limit ({Pct(1 - r.Request.Policy.Headroom)} of usable)", x, x.Select(_ => Gb(limit)).ToArray()),
                new XySeries("usable capacity", x, x.Select(_ => Gb(r.UsableBytes)).ToArray()),
            ], log2X: true);
        CsvOut.Write(Path.Combine(dir, MemoryStem + ".csv"), ["rank", "batch", "seq", "peak_gib", "limit_gib", "usable_gib", "within_limit", "max_batch"],
            r.Memory.Select(m => (IReadOnlyList<object?>)[m.Rank, q.Batch, q.Seq, CsvOut.Gib(m.PeakBytes), CsvOut.Gib(limit), CsvOut.Gib(r.UsableBytes),
                m.PeakBytes <= limit, m.MaxBatch]));
        return new Figure(MemoryStem, $"Planner-predicted device-used peak (GiB) at batch {q.Batch} × {q.Seq} for each GaLore rank, with the " +
                                      $"headroom limit and the usable capacity of {q.Gpu.DisplayName}.");
    }

    /// <summary>Overhead against T at the rank that decided T, one line per method; the CSV has every rank.</summary>
    public static Figure Overhead(string dir, TuneResult r)
    {
        int rank = r.Choice.RankForGap;
        var gaps = r.Request.Gaps.Distinct().Order().ToArray();
        var methods = r.Totals.Select(t => t.Method).Distinct().ToArray();
        var series = methods.Select(m => new XySeries($"{MethodName(m)}, rank {rank}", gaps.Select(g => (double)g).ToArray(),
            gaps.Select(g => r.Overhead(m, rank, g)).ToArray())).ToList();
        var q = r.Request.Query;
        OverheadChart.Save(dir, OverheadStem,
            new ChartLabels($"{q.Step.Model.Name}: projector-refresh overhead on {DeviceShort(r)}", "update_proj_gap T (log₂ scale)",
                "refresh time / (T × step time), log scale"),
            series, r.Request.Policy.OverheadBudget);
        CsvOut.Write(Path.Combine(dir, OverheadStem + ".csv"),
            ["method", "rank", "gap", "refresh_step_s", "step_s", "step_source", "overhead_pct", "refresh_all_measured"],
            r.Overheads.Select(o =>
            {
                var t = r.Total(o.Method, o.Rank);
                return (IReadOnlyList<object?>)[Method(o.Method), o.Rank, o.Gap, Math.Round(t.Seconds, 6), Math.Round(r.StepSeconds, 6),
                    r.MeasuredStep is null ? "estimated" : "measured", Math.Round(o.Fraction * 100, 6), t.AllMeasured];
            }));
        return new Figure(OverheadStem, $"Refresh overhead (percent of step time, log scale) against T at rank {rank}, per refresh method; " +
                                        "the dashed line is the budget. The CSV holds every rank.");
    }

    /// <summary>The proxy's loss curves (every run), with the chain's entropy rate.</summary>
    public static Figure Loss(string dir, ProxyResult p)
    {
        var runs = p.Runs.Select(run => new XySeries(run.Label, Enumerable.Range(0, run.Losses.Count).Select(i => (double)i).ToArray(),
            run.Losses.Select(l => (double)l).ToArray())).ToList();
        LossCurveChart.Save(dir, LossStem,
            new ChartLabels($"Proxy {p.Settings.Model.Name}: training loss, {p.Runs[0].Optimizer} (rank × T) vs full-rank AdamW",
                "step", "loss (nats per token)"),
            runs, p.Baselines.Count, p.LossFloor, $"lowest reachable {Num(p.LossFloor, 3)}");
        CsvOut.Write(Path.Combine(dir, LossStem + ".csv"), ["optimizer", "learning_rate", "rank", "gap", "step", "loss"],
            p.Runs.SelectMany(run => run.Losses.Select((l, i) => (IReadOnlyList<object?>)[run.Optimizer, run.LearningRate, run.Rank, run.Gap, i, Math.Round(l, 5)])));
        return new Figure(LossStem, $"Training loss of every proxy run ({p.Settings.Steps} steps; each batch is fresh text from the Markov chain, so it is " +
                                    "also a held-out loss); dashed black and grey: full-rank AdamW at three learning rates; dotted: the lowest reachable loss.");
    }

    /// <summary>"cpu" or "cuda".</summary>
    public static string DeviceShort(TuneResult r) => r.Request.Device;

    /// <summary>Writes <c>refresh.csv</c>: every refresh timing (the table behind the per-shape figures).</summary>
    public static void RefreshCsv(string path, TuneResult r) =>
        CsvOut.Write(path, ["rows", "cols", "count", "method", "rank", "seconds_per_refresh", "runs", "measured", "same_as_rank", "agreement"],
            r.Refresh.Select(t => (IReadOnlyList<object?>)[t.Shape.Rows, t.Shape.Cols, t.Shape.Count, Method(t.Method), t.Rank,
                Math.Round(t.Seconds, 6), t.Runs, t.Measured, t.SameAsRank, t.Agreement is { } a ? Math.Round(a, 5) : null]));

    /// <summary>Methods in their order.</summary>
    public static IEnumerable<RefreshMethod> Methods(TuneResult r) => r.Totals.Select(t => t.Method).Distinct();
}
