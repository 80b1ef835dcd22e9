namespace GaLore.Planner.Sweep;

/// <summary>The values of each sweep axis, ascending and without repeats (<see cref="Validate"/>); the grid is their product.</summary>
/// <param name="Ranks">GaLore ranks (one value when the rank is not varied).</param>
/// <param name="Batches">Micro-batch sizes.</param>
/// <param name="Seqs">Sequence lengths.</param>
public sealed record SweepGrid(IReadOnlyList<int> Ranks, IReadOnlyList<int> Batches, IReadOnlyList<int> Seqs)
{
    /// <summary>Most grid points a sweep evaluates (a million points write a CSV of about 100 MB).</summary>
    public const long MaxPoints = 1_000_000;

    /// <summary>Number of grid points.</summary>
    public long Count => (long)Ranks.Count * Batches.Count * Seqs.Count;

    /// <summary>The values of one axis.</summary>
    public IReadOnlyList<int> Values(SweepAxis axis) => axis switch { SweepAxis.Rank => Ranks, SweepAxis.Batch => Batches, _ => Seqs };

    /// <summary>Rejects an empty axis, a value that is not positive or beyond <see cref="Inputs.InputBounds"/>, values out of order or repeated, and more than
    /// <see cref="MaxPoints"/> points.</summary>
    public SweepGrid Validate()
    {
        foreach (var axis in Enum.GetValues<SweepAxis>())
        {
            var values = Values(axis);
            if (values.Count == 0) throw new PlannerInputException($"sweep: the {axis} axis has no values");
            if (values[0] <= 0) throw new PlannerInputException($"sweep: {axis} value {values[0]} must be positive");
            int max = axis switch { SweepAxis.Batch => Inputs.InputBounds.MaxBatch, SweepAxis.Seq => Inputs.InputBounds.MaxSeq, _ => int.MaxValue };
            if (values[^1] > max) throw new PlannerInputException($"sweep: {axis} value {values[^1]:N0} is beyond any real run (at most {max:N0})");
            for (int i = 1; i < values.Count; i++)
                if (values[i] <= values[i - 1])
                    throw new PlannerInputException($"sweep: {axis} values must ascend without repeats ({values[i - 1]}, then {values[i]})");
        }
        if (Count > MaxPoints) throw new PlannerInputException($"sweep: the grid has {Count:N0} points; at most {MaxPoints:N0}");
        return this;
    }
}
