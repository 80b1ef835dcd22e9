using GaLore.Planner.Fit;
using GaLore.Planner.Memory;

namespace GaLore.Planner.Search;

/// <summary>Queries and steps with another GaLore rank, everything else unchanged (rank curves, sweeps, doubling costs).</summary>
public static class GaLoreRank
{
    /// <summary>The step with GaLore rank <paramref name="rank"/>.</summary>
    public static StepSpec WithRank(this StepSpec step, int rank) =>
        step with { Optimizer = step.Optimizer with { GaLore = step.Optimizer.GaLore with { Rank = rank } } };

    /// <summary>The query with GaLore rank <paramref name="rank"/>.</summary>
    public static FitQuery WithRank(this FitQuery query, int rank) => query with { Step = query.Step.WithRank(rank) };
}
