namespace GaLore.Planner.Capacity;

/// <summary>One point of a max-batch-against-rank curve.</summary>
/// <param name="Rank">GaLore rank r.</param>
/// <param name="MaxBatch">Largest batch at the report's sequence length (0: none).</param>
/// <param name="Batch1PeakBytes">Predicted device-used peak at batch 1.</param>
public sealed record RankPoint(int Rank, int MaxBatch, long Batch1PeakBytes);

/// <summary>One GaLore optimizer's max batch against rank (ranks too large for the model are left out).</summary>
public sealed record RankCurve(string Optimizer, IReadOnlyList<RankPoint> Points);
