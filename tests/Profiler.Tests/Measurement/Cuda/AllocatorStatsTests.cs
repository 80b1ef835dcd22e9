using GaLore.Planner.Devices;
using GaLore.Planner.Models;
using GaLore.Profiler.Measurement;
using GaLore.Profiler.Measurement.Cuda;
using GaLore.Profiler.Validation;

namespace GaLore.Profiler.Tests.Measurement.Cuda;

/// <summary>Scriptable caching-allocator counters.</summary>
sealed class FakeAllocator : IAllocatorStats
{
    public AllocatorCounters Counters;
    public int Resets, Empties;
    public AllocatorCounters Read(int device) => Counters;
    public void ResetPeaks(int device) { Resets++; Counters = Counters with { PeakAllocated = Counters.Allocated, PeakReserved = Counters.Reserved }; }
    public void EmptyCache() => Empties++;
}

public sealed class AllocatorStatsTests
{
    [Fact]
    public void Meter_records_allocator_baseline_and_peaks_and_empties_the_cache_before_the_baseline()
    {
        var alloc = new FakeAllocator { Counters = new(100, 900, 200, 1000) };
        using var meter = new CudaPeakMeter(NvmlSession.Open(new FakeNvml(), 0), 0, TimeSpan.FromMilliseconds(1), () => { }, allocator: alloc);
        Assert.True(meter.CanReleaseCache);
        meter.ReleaseCache();
        meter.TakeBaseline();
        meter.StartWindow();
        alloc.Counters = new(150, 5_000, 300, 8_000);
        meter.EndWindow();
        Assert.Equal((1, 1), (alloc.Empties, alloc.Resets));
        Assert.Equal("100", meter.Details["allocated_baseline_bytes"]);
        Assert.Equal("200", meter.Details["reserved_baseline_bytes"]);
        Assert.Equal("5000", meter.Details["allocated_peak_bytes"]);
        Assert.Equal("8000", meter.Details["reserved_peak_bytes"]);
    }

    [Fact]
    public void Without_the_shim_the_cache_cannot_be_released()
    {
        using var meter = new CudaPeakMeter(NvmlSession.Open(new FakeNvml(), 0), 0, TimeSpan.FromMilliseconds(1), () => { });
        Assert.False(meter.CanReleaseCache);
        Assert.Equal(80L << 30, meter.FreeBytes() + 1000);
    }

    [Fact]
    public void Shim_path_errors_are_clear()
    {
        Assert.Null(NativeAllocatorStats.FromEnvironment(_ => null));
        var missing = Assert.Throws<GpuMeasurementException>(() => NativeAllocatorStats.FromEnvironment(_ => "/no/such/libgalore_cudastats.so"));
        Assert.Contains("no such file", missing.Message);
        var notShim = Assert.Throws<GpuMeasurementException>(() => NativeAllocatorStats.FromEnvironment(_ => "/lib/x86_64-linux-gnu/libm.so.6"));
        Assert.Contains("is not the allocator-statistics shim", notShim.Message);
    }

    [Fact]
    public void Cuda_rows_compare_increases_above_a_baseline_that_holds_context_and_workspace()
    {
        var model = ModelPresets.Find("tiny")!;
        var c = ValidationCase.Of(model, "adamw", "bf16", 2, 64, memoryCapBytes: 1L << 30);
        var device = DeviceProfile.Cuda(9.0);
        var predicted = ValidationRow.Predict(c, device);
        var result = new ProfileResult
        {
            Request = c.Request("cuda"),
            MeasuredPeakBytes = 10_000_000,
            PeakAbsoluteBytes = 600_000_000,
            Details = new Dictionary<string, string>
            {
                ["allocated_peak_bytes"] = "9000000", ["allocated_baseline_bytes"] = "1000000",
                ["reserved_peak_bytes"] = "14000000", ["reserved_baseline_bytes"] = "2000000",
            },
        };
        var row = new ValidationRow(c, device, predicted, result);
        Assert.Equal(predicted.ReservedBytes - device.CublasWorkspaceBytes, row.PredictedPeakBytes);
        Assert.Equal(predicted.AllocatedBytes - device.CublasWorkspaceBytes, row.PredictedAllocatedBytes);
        Assert.Equal(8_000_000, row.MeasuredAllocatedBytes);
        Assert.Equal(12_000_000, row.MeasuredReservedBytes);
        Assert.Equal(predicted.DeviceUsedBytes, row.PredictedDeviceUsedBytes);
        Assert.Equal(600_000_000, row.MeasuredDeviceUsedBytes);
        Assert.True(row.PredictedFits);
        Assert.True(row.MeasuredFits);
        var oom = row with { Result = result with { Error = "ExternalException: CUDA out of memory", MeasuredPeakBytes = null } };
        Assert.False(oom.MeasuredFits);
        Assert.Null(oom.ErrorPercent);
    }

    [Fact]
    public void Cuda_matrix_has_the_required_configurations()
    {
        var cases = ValidationMatrix.Cuda();
        Assert.True(cases.Count >= 20);
        Assert.Contains(cases, c => c.Model.Name == "llama-7b" && c.Optimizer == "galore_adamw_8bit_layerwise" && c.Precision == "bf16" && c.Batch == 1 && c.Seq == 256);
        foreach (var name in GaLore.Planner.Optimizers.OptimizerSpec.Names)
            Assert.Contains(cases, c => c.Model.Name == "llama-1b" && c.Optimizer == name && c.MemoryCapBytes is null);
        var capped = cases.Where(c => c.MemoryCapBytes is not null).ToList();
        Assert.Equal(4, capped.Count);
        // Two caps per configuration, one on each side of the predicted peak.
        foreach (var g in capped.GroupBy(c => c with { MemoryCapBytes = null }))
        {
            long predicted = ValidationRow.Predict(g.Key, DeviceProfile.Cuda(9.0)).ReservedBytes - DeviceProfile.Cuda(9.0).CublasWorkspaceBytes;
            Assert.Contains(g, c => c.MemoryCapBytes < predicted);
            Assert.Contains(g, c => c.MemoryCapBytes > predicted);
        }
        Assert.Equal(cases.Count, cases.Select(c => c.Key).Distinct().Count());
    }
}
