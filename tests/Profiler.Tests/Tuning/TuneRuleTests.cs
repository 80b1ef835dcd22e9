using GaLore.Kernels.Projection;
using GaLore.Profiler.Tuning;

namespace GaLore.Profiler.Tests.Tuning;

/// <summary>The recommendation rule on hand-made numbers.</summary>
public sealed class TuneRuleTests
{
    const long GiB = 1L << 30;
    static readonly int[] Gaps = [50, 100, 200, 500, 1000];

    static readonly RankMemory[] Memory =
    [
        new(64, 10 * GiB, 40), new(128, 12 * GiB, 30), new(256, 15 * GiB, 20), new(512, 20 * GiB, 8), new(1024, 23 * GiB, 2),
    ];

    /// <summary>Overheads for one method at every rank: refresh / (T × step).</summary>
    static IEnumerable<OverheadPoint> Points(RefreshMethod m, double refresh, double step, IEnumerable<int> ranks, IEnumerable<int>? gaps = null) =>
        ranks.SelectMany(r => (gaps ?? Gaps).Select(g => new OverheadPoint(m, r, g, refresh / (g * step))));

    [Fact]
    public void Largest_rank_under_the_headroom_limit_and_smallest_affordable_gap()
    {
        // 24 GiB usable, 10 % headroom → 21.6 GiB: rank 512 (20 GiB) fits, 1024 (23 GiB) does not.
        // SVD refresh step 20 s, step 1 s: T = 50 → 40 %, 100 → 20 %, 200 → 10 %, 500 → 4 %, 1000 → 2 %: 500 is the smallest ≤ 5 %.
        // Randomized 2 s: T = 50 → 4 % already.
        var overheads = Points(RefreshMethod.Svd, 20, 1, Memory.Select(m => m.Rank))
            .Concat(Points(RefreshMethod.Randomized, 2, 1, Memory.Select(m => m.Rank))).ToList();
        var c = TuneRule.Choose(Memory, 24 * GiB, overheads, new TunePolicy(0.05, 0.10));

        Assert.Equal(512, c.Rank);
        Assert.Equal((long)(24 * GiB * 0.9), c.LimitBytes);
        Assert.Equal(RefreshMethod.Svd, c.Primary.Method);
        Assert.Equal(500, c.Primary.Gap);
        Assert.Equal(0.04, c.Primary.Overhead, 12);
        Assert.True(c.Primary.WithinBudget);
        Assert.Equal(400, c.Primary.SmallestGapWithinBudget);      // 20 / (0.05 × 1)
        Assert.Equal(RefreshMethod.Randomized, c.Alternative!.Method);
        Assert.Equal(50, c.Alternative.Gap);
        Assert.Equal(40, c.Alternative.SmallestGapWithinBudget);
    }

    [Fact]
    public void NoGapInRangeMeetsTheBudget_TheCheapestInRangeIsFlagged()
    {
        var overheads = Points(RefreshMethod.Svd, 100, 1, [512]).ToList();   // T = 1000 → 10 %
        var c = TuneRule.Choose([new RankMemory(512, GiB, 1)], 24 * GiB, overheads, new TunePolicy());
        Assert.Equal(1000, c.Primary.Gap);
        Assert.False(c.Primary.WithinBudget);
        Assert.True(c.Primary.InPaperRange);
        Assert.Equal(2000, c.Primary.SmallestGapWithinBudget);
        Assert.Null(c.Alternative);
    }

    [Fact]
    public void ABudgetMetExactlyCounts_AndGapsOutsideThePapersRangeAreNotChosenWhenOnesInsideExist()
    {
        // refresh 5 s, step 1 s: T = 20 → 25 %, 100 → 5 % (exactly the budget), 2000 → 0.25 %.
        var overheads = Points(RefreshMethod.Randomized, 5, 1, [128], [20, 100, 2000]).ToList();
        var c = TuneRule.Choose([new RankMemory(128, GiB, 1)], 24 * GiB, overheads, new TunePolicy(0.05, 0.1));
        Assert.Equal(100, c.Primary.Gap);
        Assert.True(c.Primary.WithinBudget);
        Assert.Equal(RefreshMethod.Randomized, c.Primary.Method);
    }

    [Fact]
    public void Without_any_gap_in_range_the_whole_list_is_used()
    {
        var overheads = Points(RefreshMethod.Svd, 1, 1, [64], [5, 10, 40]).ToList();   // 20 %, 10 %, 2.5 %
        var c = TuneRule.Choose([new RankMemory(64, GiB, 1)], 24 * GiB, overheads, new TunePolicy());
        Assert.Equal(40, c.Primary.Gap);
        Assert.False(c.Primary.InPaperRange);
        Assert.True(c.Primary.WithinBudget);
    }

    [Fact]
    public void When_no_rank_fits_the_rank_is_null_and_t_comes_from_the_smallest_rank()
    {
        var overheads = Points(RefreshMethod.Svd, 10, 1, Memory.Select(m => m.Rank)).ToList();
        var c = TuneRule.Choose(Memory, 8 * GiB, overheads, new TunePolicy());
        Assert.Null(c.Rank);
        Assert.Equal(64, c.RankForGap);
        Assert.Equal(200, c.Primary.Gap);                           // 10 / 200 = 5 %
    }

    [Fact]
    public void Zero_headroom_allows_a_peak_equal_to_the_capacity()
    {
        var c = TuneRule.Choose([new RankMemory(64, 24 * GiB, 1)], 24 * GiB, Points(RefreshMethod.Svd, 1, 1, [64]).ToList(), new TunePolicy(0.05, 0));
        Assert.Equal(64, c.Rank);
    }
}
