using GaLore.Planner.Fit;
using GaLore.Planner.Memory;

namespace GaLore.Cli.Snapshots;

/// <summary>A measured snapshot beside the planner's prediction for the same step: peaks, the phase of each, and the
/// largest allocated total the planner's timeline reaches in each coarse phase.</summary>
/// <param name="Replay">The measurement.</param>
/// <param name="Query">The step it is compared with.</param>
/// <param name="Predicted">The planner's estimate (allocated, reserved, device-used; phase and event at the peak).</param>
/// <param name="PredictedPhasePeaks">The planner's largest allocated total in each coarse phase (cuBLAS workspace included,
/// as in <see cref="MemoryEstimate.AllocatedBytes"/>).</param>
public sealed record SnapshotComparison(SnapshotReplay Replay, FitQuery Query, MemoryEstimate Predicted,
    IReadOnlyDictionary<StepPhase, long> PredictedPhasePeaks)
{
    /// <summary>Measured allocated peak relative to the prediction: (predicted − measured) / measured.</summary>
    public double AllocatedError => Error(Predicted.AllocatedBytes, Replay.PeakAllocatedBytes);

    /// <summary>The same for the reserved peak.</summary>
    public double ReservedError => Error(Predicted.ReservedBytes, Replay.PeakReservedBytes);

    /// <summary>The planner's breakdown at its allocated peak: <see cref="MemoryEstimate.Breakdown"/> without what only the
    /// device shows (the reserved-but-free bytes and the CUDA context), so its rows sum to the allocated peak a snapshot measures.</summary>
    public CategoryBytes AllocatedBreakdown
    {
        get
        {
            var b = Predicted.Breakdown;
            b.Other -= Predicted.DeviceUsedBytes - Predicted.AllocatedBytes;
            return b;
        }
    }

    /// <summary>The planner's peak phase, coarse.</summary>
    public StepPhase PredictedPeakPhase => StepPhases.OfPlannerPhase(Predicted.Phase, Predicted.Label);

    /// <summary>(predicted − measured) / measured; NaN when nothing was measured.</summary>
    public static double Error(long predicted, long measured) => measured == 0 ? double.NaN : (predicted - measured) / (double)measured;

    /// <summary>Compares a replayed snapshot with the planner's prediction for <paramref name="query"/>.</summary>
    public static SnapshotComparison Of(SnapshotReplay replay, FitQuery query)
    {
        var programs = DevicePrograms.Compile(query.Validate().Step, query.Device);
        var estimate = MemoryEstimate.Of(programs, query.Batch, query.Seq);
        long workspace = query.Device.CublasWorkspaceBytes;
        var phases = new Dictionary<StepPhase, long>();
        foreach (var (phase, label, total) in programs.Allocated.Trace((long)query.Batch * query.Seq, query.Seq))
        {
            var p = StepPhases.OfPlannerPhase(phase, label);
            phases[p] = Math.Max(phases.GetValueOrDefault(p), total + workspace);
        }
        return new SnapshotComparison(replay, query, estimate, phases);
    }
}
