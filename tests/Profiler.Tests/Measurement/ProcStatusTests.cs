using GaLore.Profiler.Measurement;

namespace GaLore.Profiler.Tests.Measurement;

public sealed class ProcStatusTests
{
    const string Status = "Name:\tdotnet\nVmPeak:\t 4128000 kB\nVmHWM:\t  190012 kB\nVmRSS:\t  185184 kB\nThreads:\t12\n";

    [Fact]
    public void Reads_kilobyte_fields_as_bytes()
    {
        Assert.Equal(190012L * 1024, ProcStatus.Parse(Status, "VmHWM"));
        Assert.Equal(185184L * 1024, ProcStatus.Parse(Status, "VmRSS"));
        Assert.Equal(12, ProcStatus.Parse(Status, "Threads"));
        Assert.Null(ProcStatus.Parse(Status, "VmSwap"));
        Assert.Null(ProcStatus.Parse(Status, "VmRS"));   // a prefix of another field is not that field
    }

    [Fact]
    public void Rejects_garbage() => Assert.Throws<FormatException>(() => ProcStatus.Parse("VmRSS:\tmany kB\n", "VmRSS"));

    [Fact]
    public void The_live_counters_are_readable_and_resettable()
    {
        Assert.True(ProcStatus.IsAvailable);
        long rss = ProcStatus.ResidentBytes();
        ProcStatus.ResetPeak();
        long hwm = ProcStatus.PeakResidentBytes();
        Assert.InRange(rss, 1 << 20, long.MaxValue);
        Assert.True(hwm >= ProcStatus.ResidentBytes() - (64 << 20) && hwm <= rss + (256 << 20));
    }

    [Fact]
    public void Statm_gives_the_resident_field_in_pages()
    {
        Assert.Equal(46296, ResidentSampler.ResidentPages("1032000 46296 9133 1 0 301542 0\n"u8));
        Assert.Throws<FormatException>(() => ResidentSampler.ResidentPages("1032000 \n"u8));
    }

    [Fact]
    public void The_sampler_agrees_with_the_status_file_and_allocates_nothing()
    {
        using var sampler = new ResidentSampler();
        sampler.ResidentBytes();
        long before = GC.GetAllocatedBytesForCurrentThread();
        long sampled = 0;
        for (int i = 0; i < 100; i++) sampled = sampler.ResidentBytes();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.InRange(sampled, ProcStatus.ResidentBytes() - (8 << 20), ProcStatus.ResidentBytes() + (8 << 20));
    }

    [Fact]
    public void A_residency_snapshot_adds_up_and_names_its_counters()
    {
        GC.Collect();                                             // the managed counter is the last collection's
        var s = ResidencySnapshot.Take();
        Assert.InRange(s.RssAnonBytes + s.RssFileBytes, s.RssBytes - (64 << 20), s.RssBytes);   // VmRSS = anon + file + shmem
        Assert.True(s.MallocHeapFreeBytes <= s.MallocHeapBytes);
        Assert.True(s.ManagedCommittedBytes > 0);
        var details = new Dictionary<string, string>();
        s.WriteTo(details, "baseline");
        Assert.Equal(s.RssBytes.ToString(), details["baseline_rss_bytes"]);
        Assert.Contains("baseline_malloc_mapped_bytes", details.Keys);
    }
}
