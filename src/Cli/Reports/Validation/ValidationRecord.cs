using System.Globalization;
using GaLore.Planner.Devices;
using GaLore.Profiler.Validation;

namespace GaLore.Cli.Reports.Validation;

/// <summary>One row of <c>validation.csv</c>: the configuration, the prediction (with its breakdown) and the measurement,
/// flat and in bytes, so a CSV is complete on its own and an interrupted run can resume from it.</summary>
public sealed record ValidationRecord(
    string Key, string Model, string Optimizer, string Precision, int Batch, int Seq, bool Checkpointing, string Attention,
    int Rank, int UpdateProjGap, string ProjType, string Device,
    long PredictedPeakBytes, long? MeasuredPeakBytes, double? ErrorPct,
    long PredictedWeightsBytes, long PredictedGradientsBytes, long PredictedOptimizerStatesBytes, long PredictedActivationsBytes,
    long PredictedOtherBytes, string PredictedPhase, long? BaselineBytes, long Parameters, double StepMsMedian, double ElapsedSeconds,
    string Error, CudaColumns? Cuda = null, string Runtime = "")
{
    /// <summary>The CSV header, in column order.</summary>
    public static readonly IReadOnlyList<string> Header =
    [
        "key", "model", "optimizer", "precision", "batch", "seq", "checkpointing", "attention", "rank", "update_proj_gap", "proj_type",
        "device", "predicted_peak_bytes", "measured_peak_bytes", "error_pct", "predicted_weights_bytes", "predicted_gradients_bytes",
        "predicted_optimizer_states_bytes", "predicted_activations_bytes", "predicted_other_bytes", "predicted_phase", "baseline_bytes",
        "parameters", "step_ms_median", "elapsed_s", "error",
        "predicted_allocated_bytes", "measured_allocated_bytes", "measured_reserved_bytes", "predicted_device_used_bytes",
        "measured_device_used_bytes", "memory_cap_bytes", "predicted_fits", "measured_fits", "runtime",
    ];

    /// <summary>Whether the run measured something.</summary>
    public bool Measured => MeasuredPeakBytes is not null && Error.Length == 0;

    /// <summary>The row's cells, in <see cref="Header"/> order.</summary>
    public IReadOnlyList<object?> Cells =>
    [
        Key, Model, Optimizer, Precision, Batch, Seq, Checkpointing, Attention, Rank, UpdateProjGap, ProjType, Device,
        PredictedPeakBytes, MeasuredPeakBytes, ErrorPct is { } e ? Math.Round(e, 3) : null, PredictedWeightsBytes, PredictedGradientsBytes,
        PredictedOptimizerStatesBytes, PredictedActivationsBytes, PredictedOtherBytes, PredictedPhase, BaselineBytes, Parameters,
        Math.Round(StepMsMedian, 1), Math.Round(ElapsedSeconds, 1), Error,
        Cuda?.PredictedAllocatedBytes, Cuda?.MeasuredAllocatedBytes, Cuda?.MeasuredReservedBytes, Cuda?.PredictedDeviceUsedBytes,
        Cuda?.MeasuredDeviceUsedBytes, Cuda?.MemoryCapBytes, Cuda?.PredictedFits, Cuda?.MeasuredFits, Runtime,
    ];

    /// <summary>Flattens a predicted-and-measured row.</summary>
    public static ValidationRecord From(ValidationRow row)
    {
        var c = row.Case;
        var r = row.Result;
        var b = row.Predicted.Breakdown;
        var times = r.StepTimesMs.Skip(r.WarmupSteps).DefaultIfEmpty(0).OrderBy(x => x).ToArray();
        return new ValidationRecord(c.Key, c.Model.Name, c.Optimizer, c.Precision, c.Batch, c.Seq, c.Checkpointing, c.Attention,
            c.Rank, c.UpdateProjGap, c.ProjType, r.Device.Length > 0 ? r.Device : r.Request.Device,
            row.PredictedPeakBytes, row.MeasuredPeakBytes, row.ErrorPercent,
            b.Weights, b.Gradients, b.OptimizerStates, b.Activations, b.Other, row.Predicted.Phase, r.BaselineBytes,
            r.ParameterCount, times[times.Length / 2], r.ElapsedSeconds, r.Error ?? "",
            row.Device.Kind == GaLore.Planner.Runtime.DeviceKind.Cuda
                ? new CudaColumns(row.PredictedAllocatedBytes, row.MeasuredAllocatedBytes, row.MeasuredReservedBytes, row.PredictedDeviceUsedBytes,
                    row.MeasuredDeviceUsedBytes, r.Request.MemoryCapBytes, row.PredictedFits, row.MeasuredFits)
                : null,
            r.Runtime);
    }

    /// <summary>This row with every predicted column recomputed by this build's planner for <paramref name="c"/> (the same
    /// configuration: its key must be this row's) and the measured columns kept — for planner changes that leave the
    /// measured side alone, without measuring again.</summary>
    public ValidationRecord Repredicted(ValidationCase c, DeviceProfile device)
    {
        if (c.Key != Key) throw new ArgumentException($"case {c.Key} is not row {Key}", nameof(c));
        var measured = new GaLore.Profiler.Measurement.ProfileResult { Request = c.Request(Device), MeasuredPeakBytes = MeasuredPeakBytes };
        var row = ValidationRow.Of(c, device, measured);
        var b = row.Predicted.Breakdown;
        return this with
        {
            PredictedPeakBytes = row.PredictedPeakBytes, ErrorPct = Measured ? row.ErrorPercent : ErrorPct,
            PredictedWeightsBytes = b.Weights, PredictedGradientsBytes = b.Gradients, PredictedOptimizerStatesBytes = b.OptimizerStates,
            PredictedActivationsBytes = b.Activations, PredictedOtherBytes = b.Other, PredictedPhase = row.Predicted.Phase,
            Cuda = Cuda is null ? null : Cuda with
            {
                PredictedAllocatedBytes = row.PredictedAllocatedBytes, PredictedDeviceUsedBytes = row.PredictedDeviceUsedBytes, PredictedFits = row.PredictedFits,
            },
        };
    }

    /// <summary>Reads a row back from its cells by column name (a missing column reads as empty).</summary>
    public static ValidationRecord Parse(Func<string, string> cell)
    {
        static bool? OptBool(string s) => s.Length == 0 ? null : s == "true";
        static long? OptLong(string s) => s.Length == 0 ? null : long.Parse(s, CultureInfo.InvariantCulture);
        static double? OptDouble(string s) => s.Length == 0 ? null : double.Parse(s, CultureInfo.InvariantCulture);
        static int I(string s) => int.Parse(s, CultureInfo.InvariantCulture);
        static long L(string s) => long.Parse(s, CultureInfo.InvariantCulture);
        static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);
        return new ValidationRecord(cell("key"), cell("model"), cell("optimizer"), cell("precision"), I(cell("batch")), I(cell("seq")),
            cell("checkpointing") == "true", cell("attention"), I(cell("rank")), I(cell("update_proj_gap")), cell("proj_type"), cell("device"),
            L(cell("predicted_peak_bytes")), OptLong(cell("measured_peak_bytes")), OptDouble(cell("error_pct")),
            L(cell("predicted_weights_bytes")), L(cell("predicted_gradients_bytes")), L(cell("predicted_optimizer_states_bytes")),
            L(cell("predicted_activations_bytes")), L(cell("predicted_other_bytes")), cell("predicted_phase"), OptLong(cell("baseline_bytes")),
            L(cell("parameters")), D(cell("step_ms_median")), D(cell("elapsed_s")), cell("error"),
            cell("predicted_device_used_bytes").Length == 0 ? null : new CudaColumns(OptLong(cell("predicted_allocated_bytes")),
                OptLong(cell("measured_allocated_bytes")), OptLong(cell("measured_reserved_bytes")), OptLong(cell("predicted_device_used_bytes")),
                OptLong(cell("measured_device_used_bytes")), OptLong(cell("memory_cap_bytes")), OptBool(cell("predicted_fits")), OptBool(cell("measured_fits"))),
            cell("runtime"));
    }
}

/// <summary>The CUDA-only columns: allocator and device-used comparisons, and the fit verdict under a memory cap.</summary>
public sealed record CudaColumns(long? PredictedAllocatedBytes, long? MeasuredAllocatedBytes, long? MeasuredReservedBytes,
    long? PredictedDeviceUsedBytes, long? MeasuredDeviceUsedBytes, long? MemoryCapBytes, bool? PredictedFits, bool? MeasuredFits)
{
    /// <summary>Percent error of the allocated peak, when measured.</summary>
    public double? AllocatedErrorPct => PredictedAllocatedBytes is { } p && MeasuredAllocatedBytes is { } m && m > 0 ? 100.0 * (p - m) / m : null;

    /// <summary>Percent error of the device-used peak, when measured.</summary>
    public double? DeviceUsedErrorPct => PredictedDeviceUsedBytes is { } p && MeasuredDeviceUsedBytes is { } m && m > 0 ? 100.0 * (p - m) / m : null;
}
