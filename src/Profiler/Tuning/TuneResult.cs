using GaLore.Kernels.Projection;

namespace GaLore.Profiler.Tuning;

/// <summary>Refresh time of one whole refresh step: every projected weight of the model, at one rank, with one method.</summary>
/// <param name="Method">SVD or randomized.</param>
/// <param name="Rank">GaLore rank.</param>
/// <param name="Seconds">Σ over shapes of count × seconds per refresh.</param>
/// <param name="AllMeasured">Whether every shape was measured at this rank (false: some reuse another rank's SVD time).</param>
public sealed record RefreshTotal(RefreshMethod Method, int Rank, double Seconds, bool AllMeasured);

/// <summary>Everything <c>galore-plan tune</c> found, measured or estimated, and its recommendation.</summary>
/// <param name="Request">The question.</param>
/// <param name="Shapes">Distinct projected shapes of the model, with counts.</param>
/// <param name="SmallestSide">Smallest projected side: the largest usable rank.</param>
/// <param name="Ranks">Ranks evaluated (those ≤ <paramref name="SmallestSide"/>), ascending.</param>
/// <param name="SkippedRanks">Ranks above it, skipped.</param>
/// <param name="Memory">Planner memory per evaluated rank.</param>
/// <param name="UsableBytes">GPU capacity minus the reserve.</param>
/// <param name="Parameters">Model parameters.</param>
/// <param name="MatmulParameters">N of the 6·N·D estimate.</param>
/// <param name="Throughput">Measured matmul rate on the local device.</param>
/// <param name="StepFlops">Estimated FLOPs of one step.</param>
/// <param name="EstimatedStepSeconds">StepFlops / throughput.</param>
/// <param name="MeasuredStep">A real step timed locally, when the model is small enough.</param>
/// <param name="StepNote">Why the step was or was not measured.</param>
/// <param name="Refresh">Every refresh timing (per shape, method and rank).</param>
/// <param name="Totals">Per refresh step (per method and rank).</param>
/// <param name="Overheads">Overhead per method, rank and T, against <see cref="StepSeconds"/>.</param>
/// <param name="Quality">The proxy experiment, when <c>--train-steps</c> was given.</param>
/// <param name="Choice">The recommendation.</param>
/// <param name="Device">The timing device, described.</param>
/// <param name="OtherCores">Average cores other processes kept busy while the timings ran (<see cref="CpuContention"/>).</param>
/// <param name="ElapsedSeconds">Wall time of the whole run.</param>
public sealed record TuneResult(
    TuneRequest Request,
    IReadOnlyList<ProjectedShape> Shapes,
    long SmallestSide,
    IReadOnlyList<int> Ranks,
    IReadOnlyList<int> SkippedRanks,
    IReadOnlyList<RankMemory> Memory,
    long UsableBytes,
    long Parameters,
    long MatmulParameters,
    Throughput Throughput,
    double StepFlops,
    double EstimatedStepSeconds,
    MeasuredStep? MeasuredStep,
    string StepNote,
    IReadOnlyList<RefreshTiming> Refresh,
    IReadOnlyList<RefreshTotal> Totals,
    IReadOnlyList<OverheadPoint> Overheads,
    ProxyResult? Quality,
    TuneChoice Choice,
    string Device,
    double? OtherCores,
    double ElapsedSeconds)
{
    /// <summary>The step time overheads are computed against: the measured step when there is one, else the estimate.</summary>
    public double StepSeconds => MeasuredStep?.StepSeconds ?? EstimatedStepSeconds;

    /// <summary>Refresh time per refresh step for a method and rank.</summary>
    public RefreshTotal Total(RefreshMethod method, int rank) => Totals.Single(t => t.Method == method && t.Rank == rank);

    /// <summary>Overhead for a method, rank and T.</summary>
    public double Overhead(RefreshMethod method, int rank, int gap) =>
        Overheads.Single(o => o.Method == method && o.Rank == rank && o.Gap == gap).Fraction;
}
