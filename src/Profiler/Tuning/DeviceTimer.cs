using System.Diagnostics;
using GaLore.Kernels.Native;
using GaLore.Planner;
using TorchSharp;

namespace GaLore.Profiler.Tuning;

/// <summary>A median of timed runs and how many there were.</summary>
/// <param name="Seconds">Median wall time of one run.</param>
/// <param name="Runs">Runs timed.</param>
public sealed record Timing(double Seconds, int Runs);

/// <summary>
/// Times work on one TorchSharp device: waits for queued CUDA work before and after each run (so the time is the
/// work's, not the launch's), and keeps long measurements short: runs are repeated up to <see cref="Repeats"/> times,
/// but no new run starts once <see cref="BudgetSeconds"/> have been spent — so a 20-second SVD is timed once and a
/// 0.2-second one three times. The median is reported.
/// </summary>
public sealed class DeviceTimer
{
    /// <summary>Resolves <paramref name="device"/> (<c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>); loads TorchSharp first.
    /// A CUDA device with no CUDA in the loaded libtorch is bad input.</summary>
    public DeviceTimer(string device, int repeats = 3, double budgetSeconds = 5)
    {
        TorchNativeLoader.EnsureLoaded();
        if (repeats < 1) throw new PlannerInputException($"repeats must be at least 1, got {repeats}");
        if (!(budgetSeconds >= 0)) throw new PlannerInputException($"timing budget must be ≥ 0 s, got {budgetSeconds}");
        Name = device.Trim().ToLowerInvariant();
        IsCuda = Name.StartsWith("cuda", StringComparison.Ordinal);
        if (Name != "cpu" && !IsCuda) throw new PlannerInputException($"unknown device '{device}': use cpu or cuda");
        if (IsCuda && !torch.cuda.is_available())
            throw new PlannerInputException(
                $"--device {Name}: the libtorch TorchSharp loaded has no CUDA (a CPU-only build, or no driver); set GALORE_LIBTORCH to a CUDA build's lib folder");
        Device = torch.device(Name);
        Repeats = repeats;
        BudgetSeconds = budgetSeconds;
    }

    /// <summary>Device string as given (lower case).</summary>
    public string Name { get; }

    /// <summary>The TorchSharp device.</summary>
    public torch.Device Device { get; }

    /// <summary>Whether it is a CUDA device.</summary>
    public bool IsCuda { get; }

    /// <summary>Most runs per measurement.</summary>
    public int Repeats { get; }

    /// <summary>No new run starts after this many seconds of one measurement.</summary>
    public double BudgetSeconds { get; }

    /// <summary>Waits for queued device work (CUDA); nothing on the CPU.</summary>
    public void Synchronize()
    {
        if (IsCuda) torch.cuda.synchronize(Device);
    }

    /// <summary>Times <paramref name="run"/> (given the run's index) and returns the median; <paramref name="repeats"/>
    /// overrides <see cref="Repeats"/> for this measurement.</summary>
    public Timing Measure(Action<int> run, int? repeats = null)
    {
        int most = Math.Max(1, repeats ?? Repeats);
        var times = new List<double>(most);
        double spent = 0;
        for (int i = 0; i < most && (i == 0 || spent < BudgetSeconds); i++)
        {
            Synchronize();
            var clock = Stopwatch.StartNew();
            run(i);
            Synchronize();
            double s = clock.Elapsed.TotalSeconds;
            times.Add(s);
            spent += s;
        }
        return new Timing(Median(times), times.Count);
    }

    /// <summary>The median (mean of the middle two for an even count).</summary>
    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("no values", nameof(values));
        var s = values.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
