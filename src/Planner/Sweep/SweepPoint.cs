using GaLore.Planner.Fit;
using GaLore.Planner.Memory;

namespace GaLore.Planner.Sweep;

/// <summary>
/// One evaluated grid point: its axis values and the parts of its <see cref="MemoryEstimate"/> a sweep reports.
/// A value type without per-point objects, so a million points are one array (no per-point allocation the
/// garbage collector has to trace).
/// </summary>
/// <param name="Rank">GaLore rank.</param>
/// <param name="Batch">Micro-batch size.</param>
/// <param name="Seq">Sequence length.</param>
/// <param name="AllocatedBytes">Allocated peak (<see cref="MemoryEstimate.AllocatedBytes"/>).</param>
/// <param name="ReservedBytes">Reserved peak (<see cref="MemoryEstimate.ReservedBytes"/>).</param>
/// <param name="DeviceUsedBytes">Device-used peak, what "fits" compares (<see cref="MemoryEstimate.DeviceUsedBytes"/>).</param>
/// <param name="Breakdown">Where the bytes are at the peak (<see cref="MemoryEstimate.Breakdown"/>).</param>
/// <param name="Phase">Phase of the step at the peak (<see cref="MemoryEstimate.Phase"/>).</param>
public readonly record struct SweepPoint(int Rank, int Batch, int Seq, long AllocatedBytes, long ReservedBytes, long DeviceUsedBytes,
    CategoryBytes Breakdown, string Phase)
{
    /// <summary>The point at (rank, batch, seq) with estimate <paramref name="e"/>.</summary>
    public static SweepPoint Of(int rank, int batch, int seq, MemoryEstimate e) =>
        new(rank, batch, seq, e.AllocatedBytes, e.ReservedBytes, e.DeviceUsedBytes, e.Breakdown, e.Phase);
}
