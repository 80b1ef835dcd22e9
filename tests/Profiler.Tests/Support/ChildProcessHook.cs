using GaLore.Kernels.Native;
using GaLore.Planner.Models;
using GaLore.Profiler.Measurement;
using GaLore.Profiler.Tests.Support;
using TorchSharp;

#pragma warning disable CA1050 // a .NET startup hook must be a global-namespace type named StartupHook

/// <summary>
/// Lets tests run profiler code in a fresh child process: a test starts <c>dotnet exec GaLore.Profiler.Tests.dll</c>
/// (whose generated Main does nothing) with <c>DOTNET_STARTUP_HOOKS</c> pointing at this assembly and
/// <c>GALORE_PROFILER_TEST_CHILD</c> set; the runtime calls <see cref="Initialize"/> before Main.
/// Modes: <c>alloc</c> — measure a 64 MiB tensor with <see cref="CpuPeakMeter"/> and print a result line;
/// <c>small-alloc</c> — 16 MiB of 8 KiB tensors (glibc's heap) measured after 32 MiB of them were freed before the baseline;
/// <c>jit-cache</c> — how much resident memory the process gives back in the 5 s after a baseline taken right after the JIT
/// compiled one large method (<see cref="CpuPeakMeter"/>'s baseline, then a full collection every 100 ms);
/// <c>worker</c> — <see cref="ProfileWorker.Main"/> on stdin/stdout with the test optimizers; <c>throw</c> — an
/// unhandled exception.
/// </summary>
internal static class StartupHook
{
    public const string Variable = "GALORE_PROFILER_TEST_CHILD";

    public static void Initialize()
    {
        switch (Environment.GetEnvironmentVariable(Variable))
        {
            case "alloc":
                Environment.Exit(Allocate());
                break;
            case "small-alloc":
                Environment.Exit(AllocateSmall());
                break;
            case "jit-cache":
                Environment.Exit(ReleaseAfterBaseline());
                break;
            case "worker":
                Environment.Exit(ProfileWorker.Main(Console.In, Console.Out, TestOptimizers.Create));
                break;
            case "throw":
                throw new InvalidOperationException("induced failure in the profiling worker");
        }
    }

    static int AllocateSmall()
    {
        TorchNativeLoader.EnsureLoaded();
        using (var warm = torch.ones(1L << 20)) warm.sum().item<float>();
        // A warm-up that leaves free space in the heap, as a throw-away model's small tensors do.
        var early = Enumerable.Range(0, 4096).Select(_ => torch.ones(2048)).ToList();
        foreach (var t in early) t.Dispose();
        using var meter = new CpuPeakMeter();
        long baseline = meter.TakeBaseline();
        meter.StartWindow();
        var kept = Enumerable.Range(0, 2048).Select(_ => torch.ones(2048)).ToList();      // 2048 × 8 KiB, written
        long peak = meter.EndWindow();
        foreach (var t in kept) t.Dispose();
        Console.WriteLine(ProfileJson.Serialize(new ProfileResult
        {
            Request = TestRequests.For(), Device = meter.Device, BaselineBytes = baseline, PeakAbsoluteBytes = peak,
            MeasuredPeakBytes = peak - baseline, Environment = WorkerEnvironment.Current(), Details = meter.Details,
        }));
        return 0;
    }

    static int ReleaseAfterBaseline()
    {
        TorchNativeLoader.EnsureLoaded();
        using (var warm = torch.ones(1L << 20)) warm.sum().item<float>();
        LargeMethod.CompileAndRun();
        using var meter = new CpuPeakMeter();
        long baseline = meter.TakeBaseline();
        long lowest = baseline;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            Thread.Sleep(100);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            lowest = Math.Min(lowest, ProcStatus.ResidentBytes());
        }
        var details = new Dictionary<string, string>(meter.Details) { ["released_after_baseline_bytes"] = (baseline - lowest).ToString() };
        Console.WriteLine(ProfileJson.Serialize(new ProfileResult
        {
            Request = TestRequests.For(), Device = meter.Device, BaselineBytes = baseline, Environment = WorkerEnvironment.Current(),
            Details = details,
        }));
        return 0;
    }

    static int Allocate()
    {
        TorchNativeLoader.EnsureLoaded();
        // Large enough to run in parallel, so libtorch's thread pool exists before the baseline (as RuntimeWarmup does).
        using (var warm = torch.ones(1L << 20)) warm.sum().item<float>();
        using var meter = new CpuPeakMeter();
        long baseline = meter.TakeBaseline();
        meter.StartWindow();
        using (var t = torch.ones(16L * 1024 * 1024)) t.sum().item<float>();   // 64 MiB, every page touched
        long peak = meter.EndWindow();
        var request = TestRequests.For();
        Console.WriteLine(ProfileJson.Serialize(new ProfileResult
        {
            Request = request,
            Device = meter.Device,
            BaselineBytes = baseline,
            PeakAbsoluteBytes = peak,
            MeasuredPeakBytes = peak - baseline,
            Environment = WorkerEnvironment.Current(),
            Details = meter.Details,
        }));
        return 0;
    }
}
