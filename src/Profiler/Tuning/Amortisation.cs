namespace GaLore.Profiler.Tuning;

/// <summary>
/// What a projector refresh costs a GaLore run. The refresh (an SVD, or a range finder, of every projected weight's
/// gradient) happens on steps 0, T, 2T, … (T = <c>update_proj_gap</c>; Zhao et al. 2024, arXiv 2403.03507, Alg. 2) and adds
/// its time to that step, so T steps take T · step + refresh and the overhead, as a fraction of training time without
/// refreshes, is refresh / (T · step).
/// </summary>
public static class Amortisation
{
    /// <summary>refresh / (T · step): e.g. 12 s of refresh, T = 200, 0.5 s steps → 0.12 (12 %).</summary>
    public static double Overhead(double refreshSeconds, int gap, double stepSeconds)
    {
        if (!(refreshSeconds >= 0) || double.IsInfinity(refreshSeconds))
            throw new ArgumentOutOfRangeException(nameof(refreshSeconds), refreshSeconds, "refresh time must be finite and ≥ 0");
        if (gap <= 0) throw new ArgumentOutOfRangeException(nameof(gap), gap, "update_proj_gap must be positive");
        if (!(stepSeconds > 0) || double.IsInfinity(stepSeconds))
            throw new ArgumentOutOfRangeException(nameof(stepSeconds), stepSeconds, "step time must be finite and > 0");
        return refreshSeconds / (gap * stepSeconds);
    }

    /// <summary>Step time from work and throughput: FLOPs / (FLOP/s), i.e. the step at 100 % of the measured matmul rate.</summary>
    public static double StepSeconds(double flops, double flopsPerSecond)
    {
        if (!(flops > 0)) throw new ArgumentOutOfRangeException(nameof(flops), flops, "FLOPs must be positive");
        if (!(flopsPerSecond > 0)) throw new ArgumentOutOfRangeException(nameof(flopsPerSecond), flopsPerSecond, "throughput must be positive");
        return flops / flopsPerSecond;
    }

    /// <summary>Refresh time of one refresh step: Σ over shapes of count × seconds per refresh of that shape.</summary>
    public static double RefreshSeconds(IEnumerable<(int Count, double Seconds)> shapes) =>
        shapes.Sum(s => s.Count * s.Seconds);

    /// <summary>The smallest T whose overhead is at most <paramref name="budget"/>: ⌈refresh / (budget · step)⌉.</summary>
    public static int SmallestGapWithin(double refreshSeconds, double stepSeconds, double budget)
    {
        if (!(budget > 0)) throw new ArgumentOutOfRangeException(nameof(budget), budget, "budget must be positive");
        double t = Math.Ceiling(refreshSeconds / (budget * stepSeconds) - 1e-9);
        return t >= int.MaxValue ? int.MaxValue : Math.Max(1, (int)t);
    }
}
