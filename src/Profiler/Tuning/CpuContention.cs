using System.Diagnostics;
using System.Globalization;

namespace GaLore.Profiler.Tuning;

/// <summary>
/// How much CPU other processes used while timings ran: the machine's busy time from <c>/proc/stat</c> (user, nice,
/// system, irq, softirq and steal, in USER_HZ = 100 ticks a second — fixed by the Linux user-space ABI; proc(5)) minus this
/// process's own CPU time, divided by the wall time. 0 means the cores were ours; 1 means one core's worth of other work
/// competed with the measurements.
/// </summary>
public sealed class CpuContention
{
    readonly double machineStart, selfStart;
    readonly Stopwatch clock = Stopwatch.StartNew();

    CpuContention(double machine, double self)
    {
        machineStart = machine;
        selfStart = self;
    }

    /// <summary>Starts watching; null where <c>/proc/stat</c> cannot be read.</summary>
    public static CpuContention? Start() => MachineBusySeconds() is { } m ? new CpuContention(m, SelfSeconds()) : null;

    /// <summary>Average cores other processes kept busy since <see cref="Start"/> (never below 0).</summary>
    public double? OtherCores()
    {
        if (MachineBusySeconds() is not { } machine) return null;
        double wall = clock.Elapsed.TotalSeconds;
        if (wall <= 0) return null;
        return Math.Max(0, (machine - machineStart - (SelfSeconds() - selfStart)) / wall);
    }

    static double SelfSeconds() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    static double? MachineBusySeconds()
    {
        try
        {
            if (!File.Exists("/proc/stat")) return null;
            var line = File.ReadLines("/proc/stat").FirstOrDefault(l => l.StartsWith("cpu ", StringComparison.Ordinal));
            if (line is null) return null;
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();
            if (f.Length < 8) return null;
            // user nice system idle iowait irq softirq steal …: everything but idle and iowait is busy.
            return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / 100.0;
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
