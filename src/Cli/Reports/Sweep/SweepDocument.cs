using System.Globalization;
using GaLore.Cli.Options;
using GaLore.Cli.Output;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Sweep;

namespace GaLore.Cli.Reports.Sweep;

/// <summary>The text of a sweep report (<c>sweep.md</c> and <c>sweep.html</c>).</summary>
public static class SweepDocument
{
    /// <summary>Builds the document; without a <paramref name="frontier"/> figure (nothing written) the chart and the file list are left out.</summary>
    public static ReportDocument Build(SweepResult result, LimitVerdict verdict, string command, Figure? frontier)
    {
        var q = result.Query;
        var s = q.Step;
        var g = result.Grid;
        bool galore = s.Optimizer.Spec.GaLore;
        var doc = new ReportDocument($"Sweep: {s.Model.Name} · {s.Optimizer.Spec.Name} · {q.Gpu.DisplayName}");
        doc.P("Regenerate from the repository root:");
        doc.Code(command);
        doc.P($"Predicted by `galore-plan`'s analytical planner (no GPU involved). Usable capacity {Units.Gib(result.UsableBytes)}. " +
              "**All sizes are GiB = 2³⁰ bytes**; a point fits when its device-used peak (reserved + cuBLAS workspace + CUDA context) is at most the usable capacity.");
        doc.H2("Grid");
        var axes = new ReportTable(new Column("axis"), new Column("values"), new Column("count", true));
        axes.Add("rank", Join(g.Ranks) + (galore ? "" : " (no effect: not a GaLore optimizer)"), g.Ranks.Count.ToString(CultureInfo.InvariantCulture));
        axes.Add("batch", Join(g.Batches), g.Batches.Count.ToString(CultureInfo.InvariantCulture));
        axes.Add("seq", Join(g.Seqs), g.Seqs.Count.ToString(CultureInfo.InvariantCulture));
        doc.Table(axes);
        var k = s.Optimizer.GaLore;
        string optim = galore
            ? $"`{s.Optimizer.Spec.Name}` (update_proj_gap {k.UpdateProjGap}, scale {k.Scale:0.###}, proj_type {k.ProjType.Name()}, targets {s.Optimizer.Targets})"
            : $"`{s.Optimizer.Spec.Name}`";
        doc.P($"Fixed: {optim} · `{s.Precision.Name}` · attention `{s.Attention.Name()}` · " +
              $"checkpointing {(s.Checkpointing ? "on" : "off")} · runtime `{s.Stack.Name}` · " +
              $"{(s.RefreshStep ? "projector refresh included" : "no projector refresh")} · CUDA context {Units.Gib(q.ContextBytes)}.");
        if (!s.Parallel.IsSingle) doc.P(ParallelText.Describe(s));
        doc.P($"**{SweepReport.Count(result.PointsPerSecond)} points evaluated per second** on one thread (steady state, measured over at least " +
              $"{SweepRun.SteadySeconds:0.0} s; each point is `MemoryEstimate.Of`: allocated and reserved peaks with the breakdown at the peak). " +
              $"This sweep's {SweepReport.Count(result.Points.Count)} points took {result.EvaluateSeconds * 1e3:0.###} ms in one pass (just-in-time " +
              $"compilation included), after compiling {g.Ranks.Count} step{(g.Ranks.Count == 1 ? "" : "s")} (one per rank) in " +
              $"{result.CompileSeconds * 1e3:0.#} ms. {result.PointsFitting} of {result.Points.Count} points fit.");

        doc.H2("Which axis hits the limit first");
        doc.P("Start at the grid's smallest point and grow one axis at a time, the others held at their smallest value. An axis's " +
              "**limit position** is where its first value that does not fit sits in its list of values: index / (count − 1), so " +
              "1/(count − 1) when its second value already fails and 1 when only its largest fails (for `a..b` ranges this is the " +
              "fraction of the log₂ span). The axis with the smallest limit position hits the limit first within the ranges swept. " +
              "Because that depends on the ranges chosen, the table also gives what **doubling** each axis costs: at the smallest point " +
              "(peak at twice the smallest value − peak at it; 0 when the peak sits in a phase the axis does not touch, e.g. the optimizer " +
              "step) and averaged over the range ((peak at the largest value − peak at the smallest) / log₂(largest / smallest)).");
        doc.P(Verdict(result, verdict));
        var limits = new ReportTable(new Column("axis"), new Column("range"), new Column("first value that does not fit"),
            new Column("limit position", true), new Column("GiB per doubling at the smallest point", true),
            new Column("GiB per doubling, average over the range", true));
        foreach (var a in verdict.Axes)
            limits.Add(verdict.First.Contains(a.Axis) ? RowMark.Highlight : RowMark.None, VaryOption.Name(a.Axis), $"{a.Values[0]} … {a.Values[^1]}",
                a.FirstFailing?.ToString(CultureInfo.InvariantCulture) ?? "none (all fit)",
                a.Fraction?.ToString("0.00", CultureInfo.InvariantCulture) ?? "—",
                a.BytesPerDoubling is { } d ? (d / (double)(1L << 30)).ToString("0.000", CultureInfo.InvariantCulture) : "n/a",
                (a.AverageBytesPerDoubling / (1L << 30)).ToString("0.000", CultureInfo.InvariantCulture));
        if (verdict.Axes.Count > 0) doc.Table(limits);
        doc.P($"Peak at the smallest point (rank {g.Ranks[0]}, batch {g.Batches[0]}, seq {g.Seqs[0]}): {Units.Gib(verdict.BasePeakBytes)}.");

        doc.H2("Frontier");
        if (frontier is not null) doc.Chart(frontier);
        var cols = new List<Column> { new(galore ? "rank" : "optimizer") };
        cols.AddRange(g.Seqs.Select(x => new Column($"max batch @ seq {x}", true)));
        var table = new ReportTable(cols.ToArray());
        for (int ri = 0; ri < (galore ? g.Ranks.Count : 1); ri++)
            table.Add([galore ? g.Ranks[ri].ToString(CultureInfo.InvariantCulture) : s.Optimizer.Spec.Name,
                .. result.FrontierOf(ri).Select(f => SweepReport.Count(f.MaxBatch))]);
        doc.Table(table);

        doc.H2("Checks");
        doc.P(verdict.NonMonotone.Count == 0
            ? "Monotone: the peak never decreases as any axis grows (every pair of neighbouring grid points checked)."
            : $"**Not monotone** at {verdict.NonMonotone.Count} neighbouring pair(s) — the peak decreases as an axis grows, which the planner's " +
              "model should not produce:");
        if (verdict.NonMonotone.Count > 0) doc.List(verdict.NonMonotone.Take(10).Select(Describe));
        if (frontier is null) return doc;
        doc.H2("Files");
        doc.List($"`{SweepReport.PointsCsv}` — one row per grid point: rank, batch, seq, tokens, peak and headroom (GiB), fits, allocated and reserved (GiB), breakdown at the peak (GiB), peak phase",
            $"`{frontier.Png}`, `{frontier.Svg}` — the frontier chart; `{frontier.Csv}` — its numbers (exact max batch and the largest grid batch that fits)",
            "`sweep.md`, `sweep.html` — this report");
        return doc;
    }

    static string Verdict(SweepResult result, LimitVerdict v)
    {
        if (!v.BaseFits)
            return $"**Nothing grows: even the smallest point needs {Units.Gib(v.BasePeakBytes)}**, more than the usable {Units.Gib(result.UsableBytes)}.";
        if (v.Axes.Count == 0) return "Only one value per axis: nothing to compare.";
        if (v.First.Count == 0) return "**No axis reaches the limit within its range**: every value fits with the other axes at their smallest.";
        var first = v.Axes.Where(a => v.First.Contains(a.Axis)).ToList();
        string names = string.Join(" and ", first.Select(a => $"**{VaryOption.Name(a.Axis)}**"));
        return $"{names} hit{(first.Count == 1 ? "s" : "")} the limit first: " +
               string.Join("; ", first.Select(a => $"{VaryOption.Name(a.Axis)} {a.FirstFailing} does not fit " +
                                                   $"(position {a.Fraction:0.00} of its range)")) + ".";
    }

    /// <summary>"batch 4 → 8 at rank 64, batch 4, seq 256: 20.01 GiB → 19.99 GiB".</summary>
    static string Describe(NonMonotonePair p) =>
        $"{VaryOption.Name(p.Axis)} {p.From} → {p.To} at rank {p.Rank}, batch {p.Batch}, seq {p.Seq}: {Units.Gib(p.FromBytes)} → {Units.Gib(p.ToBytes)}";

    static string Join(IReadOnlyList<int> values) =>
        values.Count <= 12 ? string.Join(", ", values) : $"{values[0]}, {values[1]}, … {values[^1]} ({values.Count} values)";
}
