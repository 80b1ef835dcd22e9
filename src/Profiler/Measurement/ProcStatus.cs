using System.Globalization;

namespace GaLore.Profiler.Measurement;

/// <summary>
/// Linux's per-process memory counters (<c>proc(5)</c>): <c>VmRSS</c> (resident now) and <c>VmHWM</c> (peak resident,
/// "high water mark") from <c>/proc/self/status</c>; writing <c>5</c> to <c>/proc/self/clear_refs</c> resets
/// VmHWM to the current RSS (Linux ≥ 4.0). Pages count only once touched.
/// </summary>
public static class ProcStatus
{
    const string StatusPath = "/proc/self/status";
    const string ClearRefsPath = "/proc/self/clear_refs";

    /// <summary>Whether this system has the counters (Linux with procfs).</summary>
    public static bool IsAvailable => OperatingSystem.IsLinux() && File.Exists(StatusPath);

    /// <summary>Current resident set size in bytes.</summary>
    public static long ResidentBytes() => Read("VmRSS");

    /// <summary>Peak resident set size since start or the last <see cref="ResetPeak"/>, in bytes.</summary>
    public static long PeakResidentBytes() => Read("VmHWM");

    /// <summary>Resets the peak (VmHWM) to the current RSS.</summary>
    public static void ResetPeak() => File.WriteAllText(ClearRefsPath, "5");

    static long Read(string field)
    {
        if (!IsAvailable) throw new PlatformNotSupportedException("peak resident memory needs Linux /proc/self/status");
        return Parse(File.ReadAllText(StatusPath), field)
               ?? throw new InvalidOperationException($"{StatusPath} has no {field} line");
    }

    /// <summary>Reads a "Field:   1234 kB" line of a status text, in bytes; null when absent.</summary>
    public static long? Parse(string statusText, string field)
    {
        foreach (var line in statusText.Split('\n'))
        {
            if (!line.StartsWith(field, StringComparison.Ordinal) || line.Length <= field.Length || line[field.Length] != ':') continue;
            var parts = line[(field.Length + 1)..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long value))
                throw new FormatException($"cannot read '{line.Trim()}'");
            long unit = parts.Length > 1 ? parts[1].ToLowerInvariant() switch
            {
                "kb" => 1024L,
                "mb" => 1024L * 1024,
                "gb" => 1024L * 1024 * 1024,
                "b" => 1,
                _ => throw new FormatException($"unknown unit in '{line.Trim()}'"),
            } : 1;
            return value * unit;
        }
        return null;
    }
}
