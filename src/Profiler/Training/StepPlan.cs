namespace GaLore.Profiler.Training;

/// <summary>
/// Which steps run unmeasured (warm-up) and which are measured, chosen so that the measured window contains a
/// GaLore projection refresh. Steps count from 0 and step k refreshes when k mod T = 0 (the reference tests
/// <c>step % update_proj_gap == 0</c> before incrementing its counter; Zhao et al. 2024, arXiv 2403.03507, Alg. 2).
/// </summary>
/// <param name="WarmupSteps">Unmeasured steps before the window (states are created by the first step).</param>
/// <param name="MeasuredSteps">Steps in the measured window.</param>
/// <param name="UpdateProjGap">T, or null when no optimizer refreshes projections.</param>
public sealed record StepPlan(int WarmupSteps, int MeasuredSteps, int? UpdateProjGap)
{
    /// <summary>Total steps run.</summary>
    public int TotalSteps => WarmupSteps + MeasuredSteps;

    /// <summary>Whether step <paramref name="step"/> refreshes projections.</summary>
    public bool IsRefresh(int step) => UpdateProjGap is { } t && step % t == 0;

    /// <summary>Whether step <paramref name="step"/> is in the measured window.</summary>
    public bool IsMeasured(int step) => step >= WarmupSteps && step < TotalSteps;

    /// <summary>Refresh steps inside the measured window.</summary>
    public IReadOnlyList<int> RefreshStepsMeasured =>
        Enumerable.Range(WarmupSteps, MeasuredSteps).Where(IsRefresh).ToArray();

    /// <summary>
    /// With <paramref name="refreshInWindow"/>: the smallest warm-up of at least <paramref name="minWarmup"/> steps whose
    /// window of <paramref name="measured"/> steps contains a multiple of <paramref name="updateProjGap"/> (the last
    /// measured step is then the refresh when the gap is larger than the window). Without: the smallest such warm-up
    /// whose window contains none (which needs T larger than the window).
    /// </summary>
    public static StepPlan Create(int minWarmup, int measured, int? updateProjGap, bool refreshInWindow = true)
    {
        if (minWarmup < 0) throw new ArgumentOutOfRangeException(nameof(minWarmup), minWarmup, "warm-up steps must be ≥ 0");
        if (measured < 1) throw new ArgumentOutOfRangeException(nameof(measured), measured, "measured steps must be ≥ 1");
        if (updateProjGap is not { } t) return new StepPlan(minWarmup, measured, null);
        if (t < 1) throw new ArgumentOutOfRangeException(nameof(updateProjGap), t, "update_proj_gap must be ≥ 1");
        if (!refreshInWindow)
        {
            if (t <= measured)
                throw new ArgumentException($"a window of {measured} steps always holds a refresh with update_proj_gap {t}; use a larger update_proj_gap");
            long start = minWarmup % t == 0 ? minWarmup + 1 : minWarmup;    // step 0 and every multiple of T refresh
            if (start / t != (start + measured - 1) / t) start = (start / t + 1) * t + 1;
            if (start > int.MaxValue - measured) throw new ArgumentOutOfRangeException(nameof(updateProjGap), t, "update_proj_gap is too large");
            return new StepPlan((int)start, measured, t);
        }
        long firstRefresh = (minWarmup + (long)t - 1) / t * t;        // smallest multiple of T ≥ minWarmup
        long last = (long)minWarmup + measured - 1;
        long warmup = firstRefresh <= last ? minWarmup : firstRefresh - (measured - 1);
        if (warmup > int.MaxValue - measured) throw new ArgumentOutOfRangeException(nameof(updateProjGap), t, "update_proj_gap is too large");
        return new StepPlan((int)warmup, measured, t);
    }
}
