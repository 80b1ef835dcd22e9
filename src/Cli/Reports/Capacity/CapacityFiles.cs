using GaLore.Cli.Reports.Charts;
using GaLore.Planner.Capacity;
using GaLore.Planner.Memory;

namespace GaLore.Cli.Reports.Capacity;

/// <summary>
/// Writes a capacity report's data files: <c>capacity.csv</c> (one row per GPU × model × optimizer) and, per
/// charted (GPU, model), a memory-breakdown chart and a max-batch-against-rank chart, each as PNG, SVG and
/// the CSV of exactly what is drawn. Sizes are GiB (2³⁰ bytes), stated in every header and axis.
/// </summary>
public static class CapacityFiles
{
    /// <summary>The all-rows CSV's name.</summary>
    public const string RowsCsv = "capacity.csv";

    /// <summary>Breakdown rows of the stacked bars, in stacking order.</summary>
    public static readonly IReadOnlyList<(string Name, MemoryCategory Category, string Color)> Layers =
    [
        ("weights", MemoryCategory.Weights, "#4C72B0"), ("gradients", MemoryCategory.Gradients, "#DD8452"),
        ("optimizer states", MemoryCategory.OptimizerStates, "#55A868"), ("activations", MemoryCategory.Activations, "#C44E52"),
        ("other", MemoryCategory.Other, "#9A9A9A"),
    ];

    /// <summary>Writes <c>capacity.csv</c>.</summary>
    public static void WriteRows(string dir, CapacityResult result)
    {
        var picks = result.Recommendations.Where(r => r.Pick is not null).Select(r => r.Pick!).ToHashSet();
        string[] header =
        [
            "gpu", "gpu_capacity_gib", "usable_gib", "model", "parameters", "optimizer", "rank", "dtype", "seq", "runtime",
            "valid", "fits_batch1", "peak_gib", "headroom_gib", "allocated_gib",
            "weights_gib", "gradients_gib", "optimizer_states_gib", "activations_gib", "other_gib", "peak_phase",
            "max_batch", "max_batch_at_search_limit", "tokens_per_step", "peak_at_max_batch_gib",
            "max_seq", "max_seq_at_search_limit", "max_seq_beyond_context", "recommended", "note",
        ];
        var s = result.Settings;
        CsvOut.Write(Path.Combine(dir, RowsCsv), header, result.Rows.Select(r =>
        {
            var e = r.Batch1;
            var b = e?.Breakdown ?? default;
            return (IReadOnlyList<object?>)
            [
                r.Gpu.Name, CsvOut.Gib(r.Gpu.CapacityBytes), CsvOut.Gib(r.UsableBytes), r.Model.Name, r.Parameters, r.Optimizer, r.Rank,
                s.Precision.Name, r.Seq, s.Stack.Name,
                r.Invalid is null, r.Fits, Gib(e?.DeviceUsedBytes), e is null ? null : CsvOut.Gib(r.HeadroomBytes), Gib(e?.AllocatedBytes),
                Gib(e is null ? null : b.Weights), Gib(e is null ? null : b.Gradients), Gib(e is null ? null : b.OptimizerStates),
                Gib(e is null ? null : b.Activations), Gib(e is null ? null : b.Other), e?.Phase,
                r.MaxBatch, r.MaxBatchCapped, r.TokensPerStep, Gib(r.AtMaxBatch?.DeviceUsedBytes),
                r.MaxSeq, r.MaxSeqCapped, r.MaxSeqBeyondContext, picks.Contains(r), r.Invalid,
            ];
        }));
    }

    /// <summary>Draws the stacked memory breakdown at batch 1 of every valid optimizer of one (GPU, model), with the
    /// usable capacity as a dashed line; returns the figure.</summary>
    public static Figure WriteBreakdown(string dir, CapacityResult result, GpuCharts chart)
    {
        var rows = result.Rows.Where(r => r.Gpu == chart.Gpu && r.Model == chart.Model && r.Batch1 is not null).ToList();
        string stem = $"charts/breakdown-{Slug(chart.Gpu.Name)}-{Slug(chart.Model.Name)}";
        double usable = CsvOut.Gib(result.Settings.UsableBytes(chart.Gpu));
        var layers = Layers.Select(l => new Series(l.Name, rows.Select(r => CsvOut.Gib(r.Batch1!.Breakdown[l.Category])).ToArray(), l.Color)).ToList();
        StackedBarChart.Save(dir, stem,
            new ChartLabels($"{chart.Model.Name} on {chart.Gpu.DisplayName}: memory at the peak, batch 1 × {result.Settings.Seq} tokens\n{SettingsLine.Of(result.Settings, galore: true)}",
                "predicted device memory at the peak, GiB (2³⁰ bytes)", ""),
            rows.Select(r => r.Optimizer).ToArray(), layers, usable, $"usable capacity {usable:0.00} GiB");
        CsvOut.Write(Path.Combine(dir, stem + ".csv"),
            ["optimizer", "fits_batch1", .. Layers.Select(l => l.Name.Replace(' ', '_') + "_gib"), "peak_gib", "usable_gib", "peak_phase"],
            rows.Select(r => (IReadOnlyList<object?>)
            [
                r.Optimizer, r.Fits, .. Layers.Select(l => (object?)CsvOut.Gib(r.Batch1!.Breakdown[l.Category])),
                CsvOut.Gib(r.Batch1!.DeviceUsedBytes), usable, r.Batch1.Phase,
            ]));
        return new Figure(stem, $"Predicted memory at the step's peak for {chart.Model.Name} at batch 1 × {result.Settings.Seq} tokens on " +
                                $"{chart.Gpu.DisplayName}, by optimizer (GiB); the dashed line is the usable capacity.");
    }

    /// <summary>Draws the largest batch against GaLore rank, one line per GaLore optimizer; null when the report has none.</summary>
    public static Figure? WriteRankCurves(string dir, CapacityResult result, GpuCharts chart)
    {
        if (chart.RankCurves.Count == 0) return null;
        string stem = $"charts/rank-{Slug(chart.Gpu.Name)}-{Slug(chart.Model.Name)}";
        int seq = result.Settings.Seq;
        // Ranks at which not even batch 1 fits are not drawn (a line along 0 would hide the curves that do reach 0 and
        // overlap between optimizers); the legend names them, the CSV keeps them.
        LineChart.Save(dir, stem,
            new ChartLabels($"{chart.Model.Name} on {chart.Gpu.DisplayName}: largest batch at {seq} tokens vs GaLore rank\n{SettingsLine.Of(result.Settings, galore: true)}",
                "GaLore rank r (log₂ scale)", "largest batch that fits (sequences)"),
            chart.RankCurves.Select(c =>
            {
                var fitting = c.Points.Where(p => p.MaxBatch > 0).ToList();
                var none = c.Points.Where(p => p.MaxBatch == 0).Select(p => p.Rank).ToList();
                string name = none.Count == 0 ? c.Optimizer : $"{c.Optimizer} (batch 1 does not fit at r = {string.Join(", ", none)})";
                return new XySeries(name, fitting.Select(p => (double)p.Rank).ToArray(), fitting.Select(p => (double)p.MaxBatch).ToArray());
            }).ToList(), log2X: true, integerY: true);
        CsvOut.Write(Path.Combine(dir, stem + ".csv"), ["optimizer", "rank", "seq", "max_batch", "batch1_peak_gib"],
            chart.RankCurves.SelectMany(c => c.Points.Select(p => (IReadOnlyList<object?>)
                [c.Optimizer, p.Rank, seq, p.MaxBatch, CsvOut.Gib(p.Batch1PeakBytes)])));
        return new Figure(stem, $"Largest micro-batch that fits at {seq} tokens for {chart.Model.Name} on {chart.Gpu.DisplayName}, " +
                                $"against GaLore rank (ranks at which batch 1 does not fit are not drawn and are named in the legend; ranks above the model's smallest projected side are left out).");
    }

    /// <summary>A file-name-safe form of a name: lower case, letters, digits, dots and dashes.</summary>
    public static string Slug(string name) =>
        new string(name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) || c == '.' ? c : '-').ToArray()).Trim('-');

    static double? Gib(long? bytes) => bytes is { } b ? CsvOut.Gib(b) : null;
}
