using GaLore.Kernels.Projection;

namespace GaLore.Profiler.Tuning;

/// <summary>The planner's memory at one rank: device-used peak at the run's batch × seq, and the largest batch that fits.</summary>
public sealed record RankMemory(int Rank, long PeakBytes, int MaxBatch);

/// <summary>Refresh overhead of one (method, rank, T): refresh time / (T × step time), see <see cref="Amortisation"/>.</summary>
public sealed record OverheadPoint(RefreshMethod Method, int Rank, int Gap, double Fraction);

/// <summary>The knobs of the rule.</summary>
/// <param name="OverheadBudget">Largest acceptable refresh overhead, as a fraction of step time (default 0.05 = 5 %).</param>
/// <param name="Headroom">Fraction of the usable capacity kept free (default 0.10): a rank fits when its predicted peak is
/// at most (1 − headroom) × usable. The planner is validated to a few percent on CPU; the margin absorbs the rest
/// (fragmentation, a framework version that allocates differently).</param>
public sealed record TunePolicy(double OverheadBudget = 0.05, double Headroom = 0.10)
{
    /// <summary>Smallest T of the range in which the GaLore paper found T to matter little (arXiv 2403.03507, its ablation of
    /// the subspace update frequency: too frequent or too rare refreshes hurt, 50 ≤ T ≤ 1000 performs about the same).</summary>
    public const int PaperMinGap = 50;

    /// <summary>Largest T of that range.</summary>
    public const int PaperMaxGap = 1000;
}

/// <summary>The T chosen for one refresh method.</summary>
/// <param name="Method">SVD or randomized range finder.</param>
/// <param name="Gap">The chosen T (from the list given).</param>
/// <param name="Overhead">Refresh overhead at that T.</param>
/// <param name="WithinBudget">Whether that overhead is within the budget (false: no listed T in range meets it; the
/// cheapest one in range is chosen).</param>
/// <param name="InPaperRange">Whether T is within [50, 1000].</param>
/// <param name="SmallestGapWithinBudget">The smallest integer T (listed or not) whose overhead meets the budget.</param>
public sealed record GapChoice(RefreshMethod Method, int Gap, double Overhead, bool WithinBudget, bool InPaperRange, int SmallestGapWithinBudget);

/// <summary>What <see cref="TuneRule.Choose"/> recommends.</summary>
/// <param name="Rank">Largest listed rank whose peak fits with headroom; null when none does.</param>
/// <param name="RankForGap">The rank whose overheads decided T (the chosen rank, or the smallest when none fits).</param>
/// <param name="LimitBytes">(1 − headroom) × usable capacity.</param>
/// <param name="Primary">T for the primary method (SVD — what galore-torch and Hugging Face run — when it was timed).</param>
/// <param name="Alternative">T for the other method, when both were timed.</param>
public sealed record TuneChoice(int? Rank, int RankForGap, long LimitBytes, GapChoice Primary, GapChoice? Alternative);

/// <summary>
/// The recommendation rule of <c>galore-plan tune</c>:
/// <list type="number">
/// <item><b>rank</b> = the largest listed rank whose predicted device-used peak at the run's batch × seq is at most
/// (1 − headroom) × usable capacity. More rank keeps more of the gradient (the paper's quality improves with rank,
/// Table 2 / Fig. 4) and costs only low-rank states and projectors, so take as much as memory allows.</item>
/// <item><b>T</b> = the smallest listed T within [50, 1000] (the paper's flat range) whose refresh overhead at that rank is
/// at most the budget: refresh as often as is affordable, since the subspace then follows the gradient more closely. If
/// none in range meets the budget, the largest T in range (the cheapest) is chosen and flagged. When the list has no T
/// in range, the whole list is used.</item>
/// <item><b>method</b>: the SVD (the reference implementation's and Hugging Face's only refresh) is the primary
/// recommendation whenever it was timed; the randomized range finder (this project's kernels) is given beside it.</item>
/// </list>
/// </summary>
public static class TuneRule
{
    /// <summary>Applies the rule. <paramref name="memory"/> must hold at least one rank; <paramref name="overheads"/> every
    /// (method, rank, T) point for the ranks of <paramref name="memory"/>.</summary>
    public static TuneChoice Choose(IReadOnlyList<RankMemory> memory, long usableBytes, IReadOnlyList<OverheadPoint> overheads, TunePolicy policy)
    {
        if (memory.Count == 0) throw new ArgumentException("no ranks to choose from", nameof(memory));
        if (overheads.Count == 0) throw new ArgumentException("no overheads to choose from", nameof(overheads));
        if (!(policy.OverheadBudget > 0)) throw new ArgumentOutOfRangeException(nameof(policy), "overhead budget must be positive");
        if (!(policy.Headroom >= 0 && policy.Headroom < 1)) throw new ArgumentOutOfRangeException(nameof(policy), "headroom must be in [0, 1)");
        long limit = LimitBytes(usableBytes, policy);
        int? rank = PickRank(memory, limit);
        int rankForGap = rank ?? memory.Min(m => m.Rank);
        var methods = overheads.Select(o => o.Method).Distinct().OrderBy(m => m == RefreshMethod.Svd ? 0 : 1).ToList();
        var choices = methods.Select(m => ChooseGap(overheads.Where(o => o.Method == m && o.Rank == rankForGap).ToList(), m, policy.OverheadBudget)).ToList();
        return new TuneChoice(rank, rankForGap, limit, choices[0], choices.Count > 1 ? choices[1] : null);
    }

    /// <summary>(1 − headroom) × usable capacity, in bytes.</summary>
    public static long LimitBytes(long usableBytes, TunePolicy policy) => (long)Math.Floor(usableBytes * (1 - policy.Headroom));

    /// <summary>The largest rank whose peak is at most <paramref name="limitBytes"/>; null when none is.</summary>
    public static int? PickRank(IReadOnlyList<RankMemory> memory, long limitBytes) =>
        memory.Where(m => m.PeakBytes <= limitBytes).Select(m => (int?)m.Rank).Max();

    /// <summary>T for one method at one rank (see the class summary).</summary>
    public static GapChoice ChooseGap(IReadOnlyList<OverheadPoint> points, RefreshMethod method, double budget)
    {
        if (points.Count == 0) throw new ArgumentException($"no {method} overheads at this rank", nameof(points));
        var sorted = points.OrderBy(p => p.Gap).ToList();
        var inRange = sorted.Where(p => p.Gap is >= TunePolicy.PaperMinGap and <= TunePolicy.PaperMaxGap).ToList();
        var candidates = inRange.Count > 0 ? inRange : sorted;
        var within = candidates.FirstOrDefault(p => p.Fraction <= budget);
        var pick = within ?? candidates.MinBy(p => p.Fraction)!;
        // refresh / step = fraction × T for every point; the smallest T with refresh / (T · step) ≤ budget:
        int smallest = (int)Math.Min(int.MaxValue, Math.Max(1, Math.Ceiling(pick.Fraction * pick.Gap / budget - 1e-9)));
        return new GapChoice(method, pick.Gap, pick.Fraction, within is not null,
            pick.Gap is >= TunePolicy.PaperMinGap and <= TunePolicy.PaperMaxGap, smallest);
    }
}
