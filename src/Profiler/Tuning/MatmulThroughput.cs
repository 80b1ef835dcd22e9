using GaLore.Kernels.Native;
using GaLore.Planner.Memory;
using GaLore.Profiler.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Profiler.Tuning;

/// <summary>A measured matmul rate.</summary>
/// <param name="DType">Element type multiplied (<c>bfloat16</c> or <c>float32</c>).</param>
/// <param name="Size">n of the n × n × n product.</param>
/// <param name="Seconds">Median time of one product.</param>
/// <param name="Runs">Products timed.</param>
/// <param name="FlopsPerSecond">2n³ / seconds.</param>
public sealed record Throughput(string DType, int Size, double Seconds, int Runs, double FlopsPerSecond);

/// <summary>
/// Measures the device's dense matmul rate in the dtype a training step multiplies in: bf16 for <c>bf16</c> and
/// <c>mixed</c> (autocast multiplies in bf16), float32 for <c>fp32</c>. An n × n by n × n product is 2n³ FLOPs
/// (n³ multiply-adds). This is the rate the 6·N·D step estimate divides by, i.e. it assumes every training FLOP runs
/// as fast as a large square matmul — an upper bound on speed, so the estimated step is a lower bound on time.
/// </summary>
public static class MatmulThroughput
{
    /// <summary>Default n: 4096 on the CPU (≈ 0.2 s a bf16 product here, long enough that the median is steady; 2048 varied by
    /// ±10 % between runs), 8192 on CUDA.</summary>
    public static int DefaultSize(DeviceTimer timer) => timer.IsCuda ? 8192 : 4096;

    /// <summary>The compute dtype of a precision mode.</summary>
    public static ScalarType ComputeType(Precision precision) => ModelDTypes.For(precision).Activation;

    /// <summary>Times up to seven n × n products (one untimed product first) and returns the median rate.</summary>
    public static Throughput Measure(DeviceTimer timer, ScalarType dtype, int? size = null)
    {
        TorchNativeLoader.EnsureLoaded();
        int n = size ?? DefaultSize(timer);
        if (n < 16) throw new ArgumentOutOfRangeException(nameof(size), n, "matmul size must be at least 16");
        using var scope = NewDisposeScope();
        using var generator = new Generator(11, timer.Device);
        var a = randn([n, n], ScalarType.Float32, timer.Device, generator: generator).to(dtype);   // (n, n)
        var b = randn([n, n], ScalarType.Float32, timer.Device, generator: generator).to(dtype);   // (n, n)
        using (var warm = a.mm(b)) { }
        var timing = timer.Measure(_ =>
        {
            using var c = a.mm(b);
        }, repeats: 7);
        double flops = 2.0 * n * n * n;
        return new Throughput(dtype == ScalarType.BFloat16 ? "bfloat16" : "float32", n, timing.Seconds, timing.Runs, flops / timing.Seconds);
    }
}
