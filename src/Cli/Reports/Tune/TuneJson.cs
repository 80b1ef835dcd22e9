using System.Text.Json;
using GaLore.Cli.Output;
using GaLore.Profiler.Tuning;
using static GaLore.Cli.Reports.Tune.TuneFormat;

namespace GaLore.Cli.Reports.Tune;

/// <summary>
/// <c>tune --json</c>: one object (bytes, seconds, fractions). Fields: <c>format</c>, <c>command</c>, <c>model</c>, the optimizer
/// fields as <c>fit --json</c> writes them (<c>optimizer</c>, <c>rank</c>, …),
/// <c>dtype</c>, <c>batch</c>, <c>seq</c>, <c>gpu</c>, <c>usable_bytes</c>, <c>device</c>, <c>ranks</c>, <c>skipped_ranks</c>,
/// <c>smallest_projected_side</c>, <c>memory[]</c>, <c>shapes[]</c>, <c>throughput</c>, <c>step</c>, <c>refresh[]</c>,
/// <c>refresh_per_step[]</c>, <c>overhead[]</c>, <c>quality</c> (null without <c>--train-steps</c>), <c>recommendation</c>,
/// <c>elapsed_seconds</c> (with <c>--timings</c> only), <c>files</c>.
/// </summary>
public static class TuneJson
{
    /// <summary>Writes the object.</summary>
    public static void Write(Utf8JsonWriter j, TuneResult r, string command, IReadOnlyList<string> files, bool timings = false)
    {
        var q = r.Request.Query;
        j.WriteStartObject();
        JsonOutput.WriteFormat(j, "tune");
        j.WriteString("command", command);
        j.WriteString("model", q.Step.Model.Name);
        FitJson.WriteOptimizer(j, q.Step.Optimizer);
        j.WriteString("dtype", q.Step.Precision.Name);
        j.WriteNumber("batch", q.Batch);
        j.WriteNumber("seq", q.Seq);
        j.WriteBoolean("checkpointing", q.Step.Checkpointing);
        j.WriteString("gpu", q.Gpu.Name);
        j.WriteNumber("usable_bytes", r.UsableBytes);
        j.WriteString("device", r.Request.Device);
        j.WriteString("device_description", r.Device);
        Nullable(j, "other_cores_busy", r.OtherCores);
        Ints(j, "ranks", r.Ranks);
        Ints(j, "skipped_ranks", r.SkippedRanks);
        j.WriteNumber("smallest_projected_side", r.SmallestSide);
        Array(j, "memory", r.Memory, m =>
        {
            j.WriteNumber("rank", m.Rank);
            j.WriteNumber("peak_bytes", m.PeakBytes);
            j.WriteNumber("max_batch", m.MaxBatch);
            j.WriteBoolean("within_limit", m.PeakBytes <= r.Choice.LimitBytes);
        });
        Array(j, "shapes", r.Shapes, s =>
        {
            j.WriteNumber("rows", s.Rows);
            j.WriteNumber("cols", s.Cols);
            j.WriteNumber("count", s.Count);
            j.WriteString("example", s.Example);
        });
        j.WriteStartObject("throughput");
        j.WriteString("dtype", r.Throughput.DType);
        j.WriteNumber("size", r.Throughput.Size);
        j.WriteNumber("seconds", r.Throughput.Seconds);
        j.WriteNumber("flops_per_second", Math.Round(r.Throughput.FlopsPerSecond));
        j.WriteEndObject();
        j.WriteStartObject("step");
        j.WriteNumber("matmul_parameters", r.MatmulParameters);
        j.WriteNumber("flops", r.StepFlops);
        j.WriteNumber("estimated_seconds", r.EstimatedStepSeconds);
        Nullable(j, "measured_seconds", r.MeasuredStep?.StepSeconds);
        Nullable(j, "measured_refresh_step_seconds", r.MeasuredStep?.RefreshStepSeconds);
        j.WriteNumber("seconds_used", r.StepSeconds);
        j.WriteString("source", r.MeasuredStep is null ? "estimated" : "measured");
        j.WriteString("note", r.StepNote);
        j.WriteEndObject();
        Array(j, "refresh", r.Refresh, t =>
        {
            j.WriteNumber("rows", t.Shape.Rows);
            j.WriteNumber("cols", t.Shape.Cols);
            j.WriteNumber("count", t.Shape.Count);
            j.WriteString("method", Method(t.Method));
            j.WriteNumber("rank", t.Rank);
            j.WriteNumber("seconds", t.Seconds);
            j.WriteNumber("runs", t.Runs);
            j.WriteBoolean("measured", t.Measured);
            Nullable(j, "same_as_rank", t.SameAsRank);
            Nullable(j, "agreement", t.Agreement);
        });
        Array(j, "refresh_per_step", r.Totals, t =>
        {
            j.WriteString("method", Method(t.Method));
            j.WriteNumber("rank", t.Rank);
            j.WriteNumber("seconds", t.Seconds);
            j.WriteBoolean("all_measured", t.AllMeasured);
        });
        Array(j, "overhead", r.Overheads, o =>
        {
            j.WriteString("method", Method(o.Method));
            j.WriteNumber("rank", o.Rank);
            j.WriteNumber("gap", o.Gap);
            j.WriteNumber("fraction", o.Fraction);
        });
        TuneJsonParts.Quality(j, r.Quality);
        TuneJsonParts.Recommendation(j, r);
        if (timings) j.WriteNumber("elapsed_seconds", Math.Round(r.ElapsedSeconds, 3));
        j.WriteStartArray("files");
        foreach (var f in files) j.WriteStringValue(f);
        j.WriteEndArray();
        j.WriteEndObject();
    }

    internal static void Array<T>(Utf8JsonWriter j, string name, IEnumerable<T> items, Action<T> body)
    {
        j.WriteStartArray(name);
        foreach (var item in items)
        {
            j.WriteStartObject();
            body(item);
            j.WriteEndObject();
        }
        j.WriteEndArray();
    }

    internal static void Ints(Utf8JsonWriter j, string name, IEnumerable<int> values)
    {
        j.WriteStartArray(name);
        foreach (int v in values) j.WriteNumberValue(v);
        j.WriteEndArray();
    }

    internal static void Nullable(Utf8JsonWriter j, string name, double? v)
    {
        if (v is { } x) j.WriteNumber(name, x); else j.WriteNull(name);
    }
}
