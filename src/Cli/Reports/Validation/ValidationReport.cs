using System.Globalization;
using GaLore.Cli.Reports.Charts;

namespace GaLore.Cli.Reports.Validation;

/// <summary>
/// Writes a validation run's report from its rows: a parity chart (predicted against measured peak, GiB, with y = x),
/// error bar charts per optimizer and per precision/checkpointing, the CSV behind each chart, and <c>summary.md</c> /
/// <c>summary.html</c> with the statistics, the method, the noise floor, every row, and the analysis notes.
/// </summary>
public static class ValidationReport
{
    /// <summary>Inputs that are not rows: how to regenerate, where it ran, the noise floor, hand-written analysis.</summary>
    public sealed record Context(string Command, string DeviceDescription, string Method, IReadOnlyList<long> NoiseRuns, string? Notes);

    /// <summary>Writes every file; returns their names relative to <paramref name="dir"/>.</summary>
    public static IReadOnlyList<string> Write(string dir, IReadOnlyList<ValidationRecord> rows, Context ctx)
    {
        var measured = rows.Where(r => r.Measured).ToList();
        var files = new List<string> { "validation.csv" };
        var doc = new ReportDocument("Predicted vs measured peak memory");
        var s = ValidationSummary.Of(rows);
        doc.P("Every row trains a real configuration for a few steps with this project's TorchSharp Llama model and GaLore kernels " +
              "(a projector refresh included for GaLore optimizers), measures its peak, and puts the planner's prediction " +
              "(runtime `torchsharp`) beside it. **Sizes are GiB = 2³⁰ bytes; error = (predicted − measured) / measured.**");
        doc.H2("Regenerate").Code(ctx.Command);
        doc.H2("Result");
        var t = new ReportTable(new Column("statistic"), new Column("value", Numeric: true))
            .Add("configurations measured", measured.Count.ToString(CultureInfo.InvariantCulture))
            .Add("of which measured peak ≥ 150 MB", s.AtLeast150MB.ToString(CultureInfo.InvariantCulture))
            .Add("failed runs", (rows.Count - measured.Count).ToString(CultureInfo.InvariantCulture))
            .Add("within ±5 %", $"{s.Within5} / {s.Measured}")
            .Add("quantized-state rows (8- and 4-bit) within ±2 %", $"{s.QuantizedWithin2} / {s.Quantized}")
            .Add("median error", ValidationSummary.Pct(s.MedianError))
            .Add("median |error|", ValidationSummary.Pct(s.MedianAbsError).TrimStart('+'))
            .Add("largest |error|", ValidationSummary.Pct(s.MaxAbsError).TrimStart('+'))
            .Add("mean error", ValidationSummary.Pct(s.MeanError));
        doc.Table(t);
        var phases = measured.GroupBy(r => r.PredictedPhase).OrderByDescending(g => g.Count()).Select(g => $"{g.Key}: {g.Count()}");
        doc.P("Where the predicted peak falls: " + string.Join("; ", phases) + ".");
        doc.P(s.MeetsTarget
            ? $"Target met: {ValidationSummary.TargetText}."
            : $"Target ({ValidationSummary.TargetText}) **not met**; see the analysis below for why.");
        doc.H2("Method").P(ctx.Method).P(ctx.DeviceDescription);
        if (ctx.NoiseRuns.Count > 1)
        {
            double mean = ctx.NoiseRuns.Average(), spread = ctx.NoiseRuns.Max() - ctx.NoiseRuns.Min();
            doc.P(string.Create(CultureInfo.InvariantCulture,
                $"Noise floor: the first configuration measured {ctx.NoiseRuns.Count} times gave {string.Join(", ", ctx.NoiseRuns.Select(b => Gib(b)))} GiB — " +
                $"a spread of {spread / (1 << 20):0.0} MiB ({100 * spread / mean:0.00} % of the mean). Re-running a configuration reproduces it within about this much; " +
                $"configurations with more moving parts (layerwise GaLore refreshes) vary more — see the analysis."));
        }
        if (measured.Count > 0)
        {
            doc.Chart(Parity(dir, measured));
            doc.Chart(ByCategory(dir, measured, "error-by-optimizer", "optimizer", r => r.Optimizer));
            doc.Chart(ByCategory(dir, measured, "error-by-precision", "precision and checkpointing",
                r => r.Precision + (r.Checkpointing ? " + ckpt" : "")));
            files.AddRange(doc.Figures.SelectMany(f => new[] { f.Png, f.Svg, f.Csv }));
        }
        if (rows.Any(r => r.Cuda is not null)) CudaSections(doc, rows);
        doc.H2("Every configuration");
        doc.Table(RowsTable(rows));
        if (!string.IsNullOrWhiteSpace(ctx.Notes)) doc.H2("Analysis").P(ctx.Notes!);
        AtomicFile.WriteText(Path.Combine(dir, "summary.md"), MarkdownPage.Render(doc));
        AtomicFile.WriteText(Path.Combine(dir, "summary.html"), HtmlPage.Render(doc, dir));
        files.Add("summary.md");
        files.Add("summary.html");
        return files;
    }

    /// <summary>CUDA: allocated and device-used comparisons, and fit verdicts under a memory cap.</summary>
    static void CudaSections(ReportDocument doc, IReadOnlyList<ValidationRecord> rows)
    {
        var cuda = rows.Where(r => r.Cuda is not null).ToList();
        doc.H2("CUDA: allocated, reserved and device-used peaks");
        doc.P("The error column of the main table compares the device-used increase (NVML, above a baseline that already holds the CUDA " +
              "context and cuBLAS workspace) with the planner's reserved peak. Here the caching allocator's own peaks (measured through the " +
              "`GALORE_CUDA_STATS_LIB` shim, when it was built) and the absolute device-used peak are compared with their predictions.");
        var t = new ReportTable(new Column("configuration"), new Column("allocated: predicted / measured GiB"), new Column("error", true),
            new Column("device-used: predicted / measured GiB"), new Column("error", true));
        foreach (var r in cuda.Where(r => r.Measured))
        {
            var c = r.Cuda!;
            t.Add(r.Key, $"{Opt(c.PredictedAllocatedBytes)} / {Opt(c.MeasuredAllocatedBytes)}", c.AllocatedErrorPct is { } a ? ValidationSummary.Pct(a) : "—",
                $"{Opt(c.PredictedDeviceUsedBytes)} / {Opt(c.MeasuredDeviceUsedBytes)}", c.DeviceUsedErrorPct is { } d ? ValidationSummary.Pct(d) : "—");
        }
        doc.Table(t);
        var capped = cuda.Where(r => r.Cuda!.MemoryCapBytes is not null).ToList();
        if (capped.Count == 0) return;
        doc.H2("Fit verdicts under a memory cap");
        doc.P("Each run occupies all free device memory but the cap before its baseline; a configuration that needs more fails with an " +
              "out-of-memory error. The planner's verdict is right when it predicts exactly that.");
        var v = new ReportTable(new Column("configuration"), new Column("cap GiB", true), new Column("predicted GiB", true),
            new Column("planner says"), new Column("run"), new Column("verdict"));
        foreach (var r in capped)
        {
            var c = r.Cuda!;
            bool right = c.PredictedFits == c.MeasuredFits;
            v.Add(right ? RowMark.None : RowMark.Highlight, r.Key, Gib(c.MemoryCapBytes!.Value), Gib(r.PredictedPeakBytes),
                c.PredictedFits == true ? "fits" : "does not fit", c.MeasuredFits == true ? "completed" : $"failed: {r.Error}", right ? "right" : "WRONG");
        }
        doc.Table(v);
    }

    static string Opt(long? bytes) => bytes is { } b ? Gib(b) : "—";

    static ReportTable RowsTable(IReadOnlyList<ValidationRecord> rows)
    {
        var table = new ReportTable(new Column("model"), new Column("optimizer"), new Column("dtype"), new Column("batch × seq"),
            new Column("ckpt"), new Column("attn"), new Column("rank"), new Column("predicted GiB", true), new Column("measured GiB", true),
            new Column("error", true), new Column("predicted peak phase"));
        foreach (var r in rows.OrderByDescending(r => r.ErrorPct is { } e ? Math.Abs(e) : double.MaxValue))
            table.Add(r.Measured && r.ErrorPct is { } e && Math.Abs(e) > 5 ? RowMark.Highlight : RowMark.None,
                r.Model, r.Optimizer, r.Precision, $"{r.Batch} × {r.Seq}", r.Checkpointing ? "yes" : "no", r.Attention,
                r.Optimizer.StartsWith("galore", StringComparison.Ordinal) ? $"{r.Rank} {r.ProjType}" : "—",
                Gib(r.PredictedPeakBytes), r.MeasuredPeakBytes is { } m ? Gib(m) : "—",
                r.ErrorPct is { } err ? ValidationSummary.Pct(err) : $"failed: {r.Error}", r.PredictedPhase);
        return table;
    }

    static Figure Parity(string dir, List<ValidationRecord> rows)
    {
        const string stem = "charts/parity";
        var groups = rows.GroupBy(r => BaseName(r.Optimizer)).OrderBy(g => g.Key)
            .Select(g => new XySeries(g.Key, g.Select(r => CsvOut.Gib(r.MeasuredPeakBytes!.Value)).ToList(),
                g.Select(r => CsvOut.Gib(r.PredictedPeakBytes)).ToList())).ToList();
        ParityChart.Save(dir, stem, new ChartLabels("Predicted vs measured peak", "measured peak, GiB", "predicted peak, GiB"), groups);
        CsvOut.Write(Path.Combine(dir, stem + ".csv"), ["key", "optimizer_family", "measured_gib", "predicted_gib", "error_pct"],
            rows.Select(r => (IReadOnlyList<object?>)[r.Key, BaseName(r.Optimizer), CsvOut.Gib(r.MeasuredPeakBytes!.Value), CsvOut.Gib(r.PredictedPeakBytes), r.ErrorPct]));
        return new Figure(stem, "Predicted against measured peak per configuration (GiB); the dashed line is y = x.");
    }

    static Figure ByCategory(string dir, List<ValidationRecord> rows, string name, string what, Func<ValidationRecord, string> key)
    {
        string stem = "charts/" + name;
        var groups = rows.GroupBy(key).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        var mean = groups.Select(g => g.Average(r => r.ErrorPct!.Value)).ToList();
        var worst = groups.Select(g => g.Select(r => r.ErrorPct!.Value).OrderByDescending(Math.Abs).First()).ToList();
        GroupedBarChart.Save(dir, stem, new ChartLabels($"Prediction error by {what}", what, "error, % of measured"),
            groups.Select(g => g.Key).ToList(), [new Series("mean error", mean), new Series("largest |error| (signed)", worst)]);
        CsvOut.Write(Path.Combine(dir, stem + ".csv"), ["category", "configurations", "mean_error_pct", "largest_abs_error_pct"],
            groups.Select((g, k) => (IReadOnlyList<object?>)[g.Key, g.Count(), Math.Round(mean[k], 3), Math.Round(worst[k], 3)]));
        return new Figure(stem, $"Mean and largest prediction error (%) by {what}; ±5 % is the target.");
    }

    static string BaseName(string optimizer) => optimizer.Replace("_layerwise", "").Replace("galore_", "");

    static string Gib(long bytes) => (bytes / (double)(1L << 30)).ToString("0.000", CultureInfo.InvariantCulture);
}
