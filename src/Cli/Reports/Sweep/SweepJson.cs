using System.Text.Json;
using GaLore.Cli.Options;
using GaLore.Cli.Output;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Sweep;

namespace GaLore.Cli.Reports.Sweep;

/// <summary>Renders a sweep as one JSON object (sizes in bytes, as <c>fit --json</c>).</summary>
public static class SweepJson
{
    /// <summary>Writes the object; <paramref name="files"/> are the files written (empty without <c>--out</c>). Timing fields
    /// (compile and evaluation seconds, points per second) only with <paramref name="timings"/>, so two runs diff clean.</summary>
    public static void Write(Utf8JsonWriter j, SweepResult result, LimitVerdict verdict, IReadOnlyList<string> files, bool timings = false)
    {
        var q = result.Query;
        j.WriteStartObject();
        JsonOutput.WriteFormat(j, "sweep");
        j.WriteString("model", q.Step.Model.Name);
        FitJson.WriteOptimizer(j, q.Step.Optimizer);
        j.WriteBoolean("checkpointing", q.Step.Checkpointing);
        j.WriteString("attention", q.Step.Attention.Name());
        j.WriteString("dtype", q.Step.Precision.Name);
        j.WriteString("runtime", q.Step.Stack.Name);
        j.WriteString("gpu", q.Gpu.Name);
        j.WriteNumber("capacity_bytes", result.UsableBytes);
        var parallel = q.Step.Parallel;
        j.WriteNumber("gpus", parallel.Gpus);
        j.WriteString("strategy", parallel.Strategy.Name);
        j.WriteString("offload", GaLore.Planner.Parallel.OffloadModes.Name(parallel.Offload));
        j.WriteNumber("grad_accum", parallel.GradAccum);
        j.WriteStartObject("axes");
        foreach (var axis in Enum.GetValues<SweepAxis>())
        {
            j.WriteStartArray(VaryOption.Name(axis));
            foreach (int v in result.Grid.Values(axis)) j.WriteNumberValue(v);
            j.WriteEndArray();
        }
        j.WriteEndObject();
        j.WriteNumber("points_evaluated", result.Points.Count);
        j.WriteNumber("points_fitting", result.PointsFitting);
        if (timings)
        {
            j.WriteNumber("compile_seconds", result.CompileSeconds);
            j.WriteNumber("first_pass_seconds", result.EvaluateSeconds);
            j.WriteNumber("points_per_second", Math.Round(result.PointsPerSecond));
        }
        j.WriteStartObject("limit");
        j.WriteNumber("base_peak_bytes", verdict.BasePeakBytes);
        j.WriteBoolean("base_fits", verdict.BaseFits);
        j.WriteStartArray("first");
        foreach (var a in verdict.First) j.WriteStringValue(VaryOption.Name(a));
        j.WriteEndArray();
        j.WriteStartArray("axes");
        foreach (var a in verdict.Axes)
        {
            j.WriteStartObject();
            j.WriteString("axis", VaryOption.Name(a.Axis));
            if (a.FirstFailing is { } f) j.WriteNumber("first_failing", f); else j.WriteNull("first_failing");
            if (a.Fraction is { } x) j.WriteNumber("position", x); else j.WriteNull("position");
            if (a.BytesPerDoubling is { } d) j.WriteNumber("bytes_per_doubling", d); else j.WriteNull("bytes_per_doubling");
            j.WriteNumber("average_bytes_per_doubling", Math.Round(a.AverageBytesPerDoubling));
            j.WriteEndObject();
        }
        j.WriteEndArray();
        j.WriteNumber("non_monotone_pairs", verdict.NonMonotone.Count);
        j.WriteEndObject();
        j.WriteStartArray("frontier");
        foreach (var f in result.Frontier)
        {
            j.WriteStartObject();
            j.WriteNumber("rank", f.Rank);
            j.WriteNumber("seq", f.Seq);
            j.WriteNumber("max_batch", f.MaxBatch);
            j.WriteNumber("max_grid_batch", f.MaxGridBatch);
            j.WriteEndObject();
        }
        j.WriteEndArray();
        j.WriteStartArray("points");
        foreach (var p in result.Points)
        {
            j.WriteStartObject();
            j.WriteNumber("rank", p.Rank);
            j.WriteNumber("batch", p.Batch);
            j.WriteNumber("seq", p.Seq);
            j.WriteNumber("peak_bytes", p.DeviceUsedBytes);
            j.WriteBoolean("fits", result.Fits(p));
            j.WriteEndObject();
        }
        j.WriteEndArray();
        j.WriteStartArray("files");
        foreach (var f in files) j.WriteStringValue(f);
        j.WriteEndArray();
        j.WriteEndObject();
    }
}
