using GaLore.Planner.Fit;
using GaLore.Planner.Search;

namespace GaLore.Planner.Sweep;

/// <summary>Largest batch at one (rank, seq): exact (the planner's search) and within the grid's batch values.</summary>
/// <param name="Rank">GaLore rank.</param>
/// <param name="Seq">Sequence length.</param>
/// <param name="MaxBatch">Largest batch that fits (<see cref="AxisSearch.MaxBatch"/>, as <c>fit</c> reports it; 0 when none).</param>
/// <param name="MaxGridBatch">Largest of the grid's batch values that fits (0 when none).</param>
public sealed record FrontierPoint(int Rank, int Seq, int MaxBatch, int MaxGridBatch);

/// <summary>
/// The frontier of a sweep: for every (rank, seq), rank-major, the largest batch that fits. The exact value is
/// <see cref="AxisSearch.MaxBatch"/> (exact because the peak never decreases with the batch); the grid's value is
/// read off the evaluated points, scanning that (rank, seq)'s batches from the largest down — at most one pass
/// over each batch column, so the whole frontier costs time linear in the grid.
/// </summary>
public static class SweepFrontier
{
    /// <summary>Computes the frontier from the compiled steps (one per rank, in grid order) and the evaluated points.</summary>
    public static FrontierPoint[] Of(SweepGrid grid, IReadOnlyList<DevicePrograms> programs, IReadOnlyList<SweepPoint> points, long usableBytes)
    {
        int nr = grid.Ranks.Count, nb = grid.Batches.Count, ns = grid.Seqs.Count;
        var frontier = new FrontierPoint[nr * ns];
        for (int ri = 0; ri < nr; ri++)
            for (int si = 0; si < ns; si++)
            {
                int seq = grid.Seqs[si];
                int inGrid = 0;
                for (int bi = nb - 1; bi >= 0; bi--)
                    if (points[(ri * nb + bi) * ns + si].DeviceUsedBytes <= usableBytes)
                    {
                        inGrid = grid.Batches[bi];
                        break;
                    }
                frontier[ri * ns + si] = new FrontierPoint(grid.Ranks[ri], seq, AxisSearch.MaxBatch(programs[ri], seq, usableBytes), inGrid);
            }
        return frontier;
    }
}
