namespace GaLore.Profiler.Measurement;

/// <summary>
/// CPU peak: VmHWM after the window minus VmRSS at the baseline (<see cref="ProcStatus"/>). The baseline is read after a
/// full garbage collection and glibc's <c>malloc_trim(0)</c> (malloc(3): returns the free pages inside the heap, not only
/// its top, to the OS): without it, heap space a warm-up freed stays resident in the baseline and the measured run's small
/// tensors (under the mmap threshold) reuse it unseen — 16 MiB of 8 KiB tensors measured 0.6 MiB. The window starts
/// with a full garbage collection (so managed garbage from warm-up is not resident) and a VmHWM reset.
/// Meaningful only in a child process whose glibc returns freed tensors to the OS
/// (<see cref="WorkerEnvironment"/>), otherwise freed memory stays resident and hides later peaks.
/// </summary>
public sealed class CpuPeakMeter : IPeakMeter
{
    readonly Dictionary<string, string> details = [];

    public CpuPeakMeter()
    {
        if (!ProcStatus.IsAvailable) throw new PlatformNotSupportedException("CPU peak measurement needs Linux /proc/self/status and clear_refs");
    }

    public string Device => "cpu";

    public IReadOnlyDictionary<string, string> Details => details;

    public long TakeBaseline()
    {
        Collect();
        Glibc.malloc_trim(0);
        long rss = ProcStatus.ResidentBytes();
        details["baseline_vmrss_bytes"] = rss.ToString();
        ResidencySnapshot.Take().WriteTo(details, "baseline");
        return rss;
    }

    public void StartWindow()
    {
        Collect();
        details["window_start_vmrss_bytes"] = ProcStatus.ResidentBytes().ToString();
        ResidencySnapshot.Take().WriteTo(details, "window_start");
        ProcStatus.ResetPeak();
    }

    public long EndWindow()
    {
        long peak = ProcStatus.PeakResidentBytes();
        details["window_end_vmrss_bytes"] = ProcStatus.ResidentBytes().ToString();
        ResidencySnapshot.Take().WriteTo(details, "window_end");
        return peak;
    }

    static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    public void Dispose()
    {
    }
}
