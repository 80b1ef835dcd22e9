namespace GaLore.Planner.Sweep;

/// <summary>
/// Checks a sweep against the property every exact search relies on: the predicted peak never decreases as the
/// rank, the batch or the sequence grows. Compares each grid point with its next neighbour along each axis, one
/// pass over the grid.
/// </summary>
public static class MonotoneCheck
{
    /// <summary>Every pair of grid neighbours (along any axis) whose peak decreases as the axis grows (expected: none).</summary>
    public static IReadOnlyList<NonMonotonePair> NonMonotone(SweepResult result)
    {
        var g = result.Grid;
        var points = result.Points;
        int nr = g.Ranks.Count, nb = g.Batches.Count, ns = g.Seqs.Count;
        var found = new List<NonMonotonePair>();
        for (int ri = 0; ri < nr; ri++)
            for (int bi = 0; bi < nb; bi++)
                for (int si = 0; si < ns; si++)
                {
                    int k = result.IndexOf(ri, bi, si);
                    long here = points[k].DeviceUsedBytes;
                    void Check(SweepAxis axis, IReadOnlyList<int> values, int i, int next)
                    {
                        long there = points[next].DeviceUsedBytes;
                        if (there < here) found.Add(new NonMonotonePair(axis, values[i], values[i + 1], g.Ranks[ri], g.Batches[bi], g.Seqs[si], here, there));
                    }
                    if (ri + 1 < nr) Check(SweepAxis.Rank, g.Ranks, ri, k + nb * ns);
                    if (bi + 1 < nb) Check(SweepAxis.Batch, g.Batches, bi, k + ns);
                    if (si + 1 < ns) Check(SweepAxis.Seq, g.Seqs, si, k + 1);
                }
        return found;
    }
}
