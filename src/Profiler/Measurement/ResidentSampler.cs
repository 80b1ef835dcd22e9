using Microsoft.Win32.SafeHandles;

namespace GaLore.Profiler.Measurement;

/// <summary>
/// Resident memory read many times inside a measured step without allocating managed memory (which would itself grow the
/// resident set it samples): <c>/proc/self/statm</c> (proc(5): sizes in pages; the second field is resident pages) kept
/// open and re-read with <c>pread</c> at offset 0 into a buffer owned by the sampler.
/// </summary>
public sealed class ResidentSampler : IDisposable
{
    readonly SafeFileHandle handle = File.OpenHandle("/proc/self/statm", FileMode.Open, FileAccess.Read);
    readonly byte[] buffer = new byte[256];

    /// <summary>Bytes of one page (<see cref="Environment.SystemPageSize"/>).</summary>
    public static long PageBytes { get; } = Environment.SystemPageSize;

    /// <summary>The process's resident bytes now (<c>VmRSS</c>).</summary>
    public long ResidentBytes()
    {
        int n = RandomAccess.Read(handle, buffer, 0);
        return ResidentPages(buffer.AsSpan(0, n)) * PageBytes;
    }

    /// <summary>The second decimal field of a statm line: "size resident shared text lib data dt".</summary>
    public static long ResidentPages(ReadOnlySpan<byte> statm)
    {
        int i = 0;
        while (i < statm.Length && statm[i] != ' ') i++;                // skip size
        while (i < statm.Length && statm[i] == ' ') i++;
        long pages = 0;
        int start = i;
        for (; i < statm.Length && statm[i] is >= (byte)'0' and <= (byte)'9'; i++) pages = pages * 10 + (statm[i] - '0');
        if (i == start) throw new FormatException("/proc/self/statm has no resident field");
        return pages;
    }

    public void Dispose() => handle.Dispose();
}
