using GaLore.Planner.Devices;
using GaLore.Planner.Fit;
using GaLore.Planner.Memory;
using GaLore.Profiler.Measurement;

namespace GaLore.Profiler.Validation;

/// <summary>A prediction next to its measurement (bytes).</summary>
/// <param name="Case">The configuration.</param>
/// <param name="Predicted">The planner's estimate for the device.</param>
/// <param name="Result">The profiling run's outcome.</param>
public sealed record ValidationRow(ValidationCase Case, MemoryEstimate Predicted, ProfileResult Result)
{
    /// <summary>Predicted peak to compare: tensor bytes on CPU (the measurement is resident memory above a baseline);
    /// device-used bytes on CUDA.</summary>
    public long PredictedPeakBytes => Result.Request.IsCuda ? Predicted.DeviceUsedBytes : Predicted.AllocatedBytes;

    /// <summary>Measured peak above the baseline, when the run succeeded.</summary>
    public long? MeasuredPeakBytes => Result.MeasuredPeakBytes;

    /// <summary>(predicted − measured) / measured × 100; null when nothing was measured.</summary>
    public double? ErrorPercent => MeasuredPeakBytes is { } m && m > 0 ? 100.0 * (PredictedPeakBytes - m) / m : null;

    /// <summary>Predicts a case for a device and pairs it with a result.</summary>
    public static ValidationRow Of(ValidationCase c, DeviceProfile device, ProfileResult result) =>
        new(c, Predict(c, device), result);

    /// <summary>The planner's estimate of a case on a device (batch and sequence from the case).</summary>
    public static MemoryEstimate Predict(ValidationCase c, DeviceProfile device) =>
        MemoryEstimate.Of(DevicePrograms.Compile(c.Step, device), c.Batch, c.Seq);
}
