using System.Globalization;
using GaLore.Planner.Devices;
using GaLore.Planner.Fit;
using GaLore.Planner.Runtime;
using GaLore.Profiler.Measurement;

namespace GaLore.Profiler.Validation;

/// <summary>A prediction next to its measurement (bytes).</summary>
/// <param name="Case">The configuration.</param>
/// <param name="Device">The planner's device profile.</param>
/// <param name="Predicted">The planner's estimate for the device.</param>
/// <param name="Result">The profiling run's outcome.</param>
/// <remarks>
/// What is compared depends on the device. CPU: resident memory above a warmed-up baseline against the planner's tensor
/// peak. CUDA: the baseline is taken after the CUDA context and cuBLAS's workspace exist, so the device-used increase
/// (NVML) is compared with the planner's reserved peak without context and workspace, and — with the allocator shim —
/// allocated and reserved increases with the allocated and reserved peaks; the absolute device-used peak is compared
/// with the planner's device-used prediction separately.
/// </remarks>
public sealed record ValidationRow(ValidationCase Case, DeviceProfile Device, MemoryEstimate Predicted, ProfileResult Result)
{
    bool Cuda => Device.Kind == DeviceKind.Cuda;

    /// <summary>Predicted peak comparable with <see cref="MeasuredPeakBytes"/>.</summary>
    public long PredictedPeakBytes => Cuda ? Predicted.ReservedBytes - Device.CublasWorkspaceBytes : Predicted.AllocatedBytes;

    /// <summary>Measured peak above the baseline, when the run succeeded.</summary>
    public long? MeasuredPeakBytes => Result.MeasuredPeakBytes;

    /// <summary>Smallest measured peak whose error is meaningful on CPU: 150 MB (10⁶ bytes). Below it, allocator and page
    /// noise of a few MB is a large fraction of the peak (the validation matrix keeps every row above it).</summary>
    public const long NoiseFloorBytes = 150_000_000;

    /// <summary>Whether the measured peak is below <see cref="NoiseFloorBytes"/>, so its error percentage says little.</summary>
    public bool BelowNoiseFloor => MeasuredPeakBytes is { } m && m < NoiseFloorBytes;

    /// <summary>(predicted − measured) / measured × 100; null when nothing was measured.</summary>
    public double? ErrorPercent => Percent(PredictedPeakBytes, MeasuredPeakBytes);

    /// <summary>CUDA: predicted tensor (allocated) peak above the baseline.</summary>
    public long? PredictedAllocatedBytes => Cuda ? Predicted.AllocatedBytes - Device.CublasWorkspaceBytes : null;

    /// <summary>CUDA with the allocator shim: measured allocated-peak increase.</summary>
    public long? MeasuredAllocatedBytes => Delta("allocated_peak_bytes", "allocated_baseline_bytes");

    /// <summary>CUDA with the allocator shim: measured reserved-peak increase.</summary>
    public long? MeasuredReservedBytes => Delta("reserved_peak_bytes", "reserved_baseline_bytes");

    /// <summary>CUDA: predicted device-used peak (reserved + workspace + context), to compare with the absolute NVML peak.</summary>
    public long? PredictedDeviceUsedBytes => Cuda ? Predicted.DeviceUsedBytes : null;

    /// <summary>CUDA: measured absolute device-used peak (NVML).</summary>
    public long? MeasuredDeviceUsedBytes => Cuda ? Result.PeakAbsoluteBytes : null;

    /// <summary>With a memory cap: whether the planner predicts the run fits under it.</summary>
    public bool? PredictedFits => Result.Request.MemoryCapBytes is { } cap ? PredictedPeakBytes <= cap : null;

    /// <summary>With a memory cap: whether the run completed (no out-of-memory error).</summary>
    public bool? MeasuredFits => Result.Request.MemoryCapBytes is null ? null : Result.Ok;

    long? Delta(string peak, string baseline) =>
        Result.Details.TryGetValue(peak, out var p) && Result.Details.TryGetValue(baseline, out var b)
            ? long.Parse(p, CultureInfo.InvariantCulture) - long.Parse(b, CultureInfo.InvariantCulture)
            : null;

    static double? Percent(long predicted, long? measured) => measured is { } m && m > 0 ? 100.0 * (predicted - m) / m : null;

    /// <summary>Predicts a case for a device and pairs it with a result.</summary>
    public static ValidationRow Of(ValidationCase c, DeviceProfile device, ProfileResult result) =>
        new(c, device, Predict(c, device), result);

    /// <summary>The planner's estimate of a case on a device (batch and sequence from the case).</summary>
    public static MemoryEstimate Predict(ValidationCase c, DeviceProfile device) =>
        MemoryEstimate.Of(DevicePrograms.Compile(c.Step, device), c.Batch, c.Seq);
}
