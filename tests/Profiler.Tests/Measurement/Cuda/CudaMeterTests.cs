using GaLore.Profiler.Measurement.Cuda;

namespace GaLore.Profiler.Tests.Measurement.Cuda;

public sealed class CudaMeterTests
{
    [Fact]
    public void Poller_keeps_the_highest_sample()
    {
        long[] readings = [10, 50, 20, 70, 30];
        int next = 0;
        using var poller = new MemoryPoller(() => readings[Math.Min(Interlocked.Increment(ref next) - 1, readings.Length - 1)], TimeSpan.FromMilliseconds(1));
        poller.Start();
        while (Volatile.Read(ref next) < readings.Length) Thread.Sleep(1);
        Assert.Equal(70, poller.Stop());
        Assert.True(poller.Samples >= readings.Length);
    }

    [Fact]
    public void Poller_reports_a_reading_failure()
    {
        int calls = 0;
        using var poller = new MemoryPoller(() => ++calls > 2 ? throw new InvalidOperationException("GPU lost") : 5, TimeSpan.FromMilliseconds(1));
        poller.Start();
        while (Volatile.Read(ref calls) <= 2) Thread.Sleep(1);
        Thread.Sleep(20);
        var e = Assert.Throws<GpuMeasurementException>(() => poller.Stop());
        Assert.Contains("GPU lost", e.Message);
    }

    [Fact]
    public void Meter_subtracts_nothing_itself_but_records_baseline_peak_and_cudart()
    {
        long used = 500;
        int reads = 0;
        var nvml = new FakeNvml { Used = () => { Interlocked.Increment(ref reads); return Interlocked.Read(ref used); } };
        int syncs = 0;
        var cudart = new FakeCudart(free: 60L << 30, total: 80L << 30);
        using var meter = new CudaPeakMeter(NvmlSession.Open(nvml, 1), ordinal: 0, TimeSpan.FromMilliseconds(1), () => syncs++, cudart);

        Assert.Equal(500, meter.TakeBaseline());
        meter.StartWindow();
        Interlocked.Exchange(ref used, 9000);
        // Wait until the poller has read the high value (twice, so one read surely came after the exchange), however
        // loaded the machine is, instead of sleeping a fixed time.
        int seen = Volatile.Read(ref reads);
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref reads) >= seen + 2, TimeSpan.FromSeconds(30)), "the poller never ran");
        Interlocked.Exchange(ref used, 800);
        long peak = meter.EndWindow();

        Assert.Equal(9000, peak);
        Assert.Equal(3, syncs);
        Assert.Equal("Fake H100 #1 (cuda:0, NVML 1)", meter.Device);
        Assert.Equal("500", meter.Details["baseline_used_bytes"]);
        Assert.Equal("800", meter.Details["end_used_bytes"]);
        Assert.Equal((20L << 30).ToString(), meter.Details["cudart_end_used_bytes"]);
        Assert.Equal(0, cudart.Device);
    }

    [Fact]
    public void A_cudart_error_is_recorded_not_thrown()
    {
        using var meter = new CudaPeakMeter(NvmlSession.Open(new FakeNvml(), 0), 0, TimeSpan.FromMilliseconds(1), () => { }, new FakeCudart(0, 0, code: 100));
        meter.TakeBaseline();
        Assert.Equal("no CUDA-capable device is detected (cudaError 100)", meter.Details["cudart_baseline_error"]);
    }

    [Fact]
    public void Ending_a_window_that_never_started_is_an_error()
    {
        using var meter = new CudaPeakMeter(NvmlSession.Open(new FakeNvml(), 0), 0, TimeSpan.FromMilliseconds(1), () => { });
        Assert.Throws<InvalidOperationException>(() => meter.EndWindow());
    }
}
