using System.Globalization;
using System.Text.Json;
using GaLore.Cli.Output;
using GaLore.Profiler.Measurement;
using GaLore.Profiler.Validation;

namespace GaLore.Cli.Profiling;

/// <summary>Renders one predicted-versus-measured row for people and for scripts.</summary>
public static class ProfileOutput
{
    /// <summary>Text: the configuration, both peaks, the error, and what the run did.</summary>
    public static void WriteText(TextWriter w, ValidationRow row)
    {
        var c = row.Case;
        var res = row.Result;
        w.WriteLine($"Profile    {c.Model.Name} · {c.Optimizer} · {c.Precision} · batch {c.Batch} × {c.Seq} · {c.Attention}" +
                    $"{(c.Checkpointing ? " · checkpointing" : "")} · device {res.Request.Device}");
        w.WriteLine($"Predicted  {Units.Gib(row.PredictedPeakBytes)} (peak during {row.Predicted.Phase}: {row.Predicted.Label})");
        if (res.Error is not null)
        {
            w.WriteLine($"Measured   failed: {res.Error}");
            return;
        }
        w.WriteLine($"Measured   {Units.Gib(row.MeasuredPeakBytes ?? 0)} ({(res.Request.IsCuda ? "device-used memory" : "VmHWM")} above a baseline of {Units.Gib(res.BaselineBytes ?? 0)})");
        w.WriteLine(row.BelowNoiseFloor
            ? $"Error      not meaningful: the measured peak ({Units.Mib(row.MeasuredPeakBytes ?? 0)}) is below the {ValidationRow.NoiseFloorBytes / 1_000_000} MB noise floor " +
              $"of this measurement (it would read {row.ErrorPercent?.ToString("+0;-0", CultureInfo.InvariantCulture)} %); profile a larger batch, sequence or model"
            : $"Error      {row.ErrorPercent?.ToString("+0.00;-0.00", CultureInfo.InvariantCulture)} % (predicted − measured) / measured");
        w.WriteLine($"Run        {res.WarmupSteps} warm-up + {res.MeasuredSteps} measured steps" +
                    (res.RefreshSteps.Count > 0 ? $" (projector refresh at step {string.Join(", ", res.RefreshSteps)})" : "") +
                    $", median step {Median(res.StepTimesMs):0} ms, {res.TorchThreads} threads, loss {First(res.Losses)} → {Last(res.Losses)}");
        var b = row.Predicted.Breakdown;
        w.WriteLine($"Predicted breakdown at the peak (GiB): weights {Units.GibNumber(b.Weights)}, gradients {Units.GibNumber(b.Gradients)}, " +
                    $"optimizer states {Units.GibNumber(b.OptimizerStates)}, activations {Units.GibNumber(b.Activations)}, other {Units.GibNumber(b.Other)}");
    }

    /// <summary>Text for <c>--predict-only</c>: the step and the planner's peaks.</summary>
    public static void WritePrediction(TextWriter w, ValidationCase c, GaLore.Planner.Fit.MemoryEstimate e)
    {
        w.WriteLine($"Predicted  {c.Key} (runtime torchsharp; not run)");
        w.WriteLine($"Peak       {Units.Gib(e.AllocatedBytes)} allocated, {Units.Gib(e.ReservedBytes)} reserved, {Units.Gib(e.DeviceUsedBytes)} device-used, during {e.Phase}: {e.Label}");
        var b = e.Breakdown;
        w.WriteLine($"Breakdown  (GiB) weights {Units.GibNumber(b.Weights)}, gradients {Units.GibNumber(b.Gradients)}, " +
                    $"optimizer states {Units.GibNumber(b.OptimizerStates)}, activations {Units.GibNumber(b.Activations)}, other {Units.GibNumber(b.Other)}");
    }

    /// <summary>JSON for <c>--predict-only</c> (bytes).</summary>
    public static void WritePredictionJson(Utf8JsonWriter j, ValidationCase c, GaLore.Planner.Fit.MemoryEstimate e)
    {
        j.WriteStartObject();
        JsonOutput.WriteFormat(j, "profile");
        j.WriteString("key", c.Key);
        j.WriteNumber("allocated_bytes", e.AllocatedBytes);
        j.WriteNumber("reserved_bytes", e.ReservedBytes);
        j.WriteNumber("device_used_bytes", e.DeviceUsedBytes);
        j.WriteString("phase", e.Phase);
        FitJson.WriteBreakdown(j, "breakdown", e.Breakdown);
        j.WriteEndObject();
    }

    /// <summary>JSON: the comparison fields, the predicted breakdown, and the worker's full result.</summary>
    public static void WriteJson(Utf8JsonWriter j, ValidationRow row)
    {
        j.WriteStartObject();
        JsonOutput.WriteFormat(j, "profile");
        j.WriteString("key", row.Case.Key);
        j.WriteNumber("predicted_peak_bytes", row.PredictedPeakBytes);
        if (row.MeasuredPeakBytes is { } m) j.WriteNumber("measured_peak_bytes", m); else j.WriteNull("measured_peak_bytes");
        if (row.ErrorPercent is { } e) j.WriteNumber("error_pct", Math.Round(e, 3)); else j.WriteNull("error_pct");
        j.WriteBoolean("below_noise_floor", row.BelowNoiseFloor);
        j.WriteString("predicted_phase", row.Predicted.Phase);
        FitJson.WriteBreakdown(j, "predicted_breakdown", row.Predicted.Breakdown);
        j.WritePropertyName("result");
        using (var doc = JsonDocument.Parse(ProfileJson.Serialize(row.Result))) doc.RootElement.WriteTo(j);
        j.WriteEndObject();
    }

    static double Median(IReadOnlyList<double> xs)
    {
        if (xs.Count == 0) return 0;
        var s = xs.OrderBy(x => x).ToArray();
        return s[s.Length / 2];
    }

    static string First(IReadOnlyList<float> xs) => xs.Count == 0 ? "-" : xs[0].ToString("0.000", CultureInfo.InvariantCulture);
    static string Last(IReadOnlyList<float> xs) => xs.Count == 0 ? "-" : xs[^1].ToString("0.000", CultureInfo.InvariantCulture);
}
