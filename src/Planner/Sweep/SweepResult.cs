using GaLore.Planner.Fit;

namespace GaLore.Planner.Sweep;

/// <summary>A sweep's results and its timing. Points and frontier are addressed by grid index in constant time.</summary>
/// <param name="Query">The fixed part: step at the grid's first rank, GPU, context and reserve; batch and seq are the grid's smallest.</param>
/// <param name="Grid">The axes.</param>
/// <param name="Points">Every point, rank-major then batch then seq (<see cref="IndexOf"/>).</param>
/// <param name="PointsFitting">How many points fit.</param>
/// <param name="Frontier">Largest batch per (rank, seq), rank-major then seq.</param>
/// <param name="Programs">The compiled step per rank, in the grid's rank order.</param>
/// <param name="CompileSeconds">Time to compile one step per rank.</param>
/// <param name="EvaluateSeconds">Time of the pass that evaluated every point (<see cref="MemoryEstimate.Of"/>: allocated and
/// reserved peaks with the breakdown), just-in-time compilation of the evaluator included.</param>
/// <param name="PointsPerSecond">Steady-state rate on one thread: the first pass's rate when it took at least
/// <see cref="SweepRun.SteadySeconds"/>, otherwise the rate of re-evaluating the grid for that long.</param>
public sealed record SweepResult(FitQuery Query, SweepGrid Grid, IReadOnlyList<SweepPoint> Points, int PointsFitting,
    IReadOnlyList<FrontierPoint> Frontier, IReadOnlyList<DevicePrograms> Programs, double CompileSeconds, double EvaluateSeconds,
    double PointsPerSecond)
{
    /// <summary>Bytes the run may use.</summary>
    public long UsableBytes => Query.UsableBytes;

    /// <summary>Whether a point fits.</summary>
    public bool Fits(SweepPoint p) => p.DeviceUsedBytes <= UsableBytes;

    /// <summary>Position in <see cref="Points"/> of the point at grid indices (rank index, batch index, seq index).</summary>
    public int IndexOf(int rankIndex, int batchIndex, int seqIndex) =>
        (rankIndex * Grid.Batches.Count + batchIndex) * Grid.Seqs.Count + seqIndex;

    /// <summary>The point at grid indices.</summary>
    public SweepPoint Point(int rankIndex, int batchIndex, int seqIndex) => Points[IndexOf(rankIndex, batchIndex, seqIndex)];

    /// <summary>The point at given values (which must be on the grid; each axis is found by binary search).</summary>
    public SweepPoint At(int rank, int batch, int seq) => Point(Find(Grid.Ranks, rank), Find(Grid.Batches, batch), Find(Grid.Seqs, seq));

    /// <summary>The frontier entry at grid indices (rank index, seq index).</summary>
    public FrontierPoint FrontierAt(int rankIndex, int seqIndex) => Frontier[rankIndex * Grid.Seqs.Count + seqIndex];

    /// <summary>The frontier of one rank (by index): one entry per sequence length, in grid order.</summary>
    public IEnumerable<FrontierPoint> FrontierOf(int rankIndex)
    {
        for (int si = 0; si < Grid.Seqs.Count; si++) yield return FrontierAt(rankIndex, si);
    }

    static int Find(IReadOnlyList<int> values, int v)
    {
        int lo = 0, hi = values.Count - 1;
        while (lo <= hi)
        {
            int mid = lo + (hi - lo) / 2;
            if (values[mid] == v) return mid;
            if (values[mid] < v) lo = mid + 1; else hi = mid - 1;
        }
        throw new ArgumentOutOfRangeException(nameof(v), $"{v} is not on the grid");
    }
}
