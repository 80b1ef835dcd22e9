using GaLore.Planner.Parallel;

namespace GaLore.Planner.Tests.Parallel;

/// <summary>ZeRO-3's coordinator on traces small enough to follow by hand.</summary>
public class Zero3FetcherTests
{
    static Zero3Fetcher.Module M(string name, params int[] ps) => new(name, ps);

    [Fact]
    public void Prefetch_takes_whole_parameters_until_the_bucket_is_reached()
    {
        // Parameters A 60 M, B 10 M, C 30 M, D 70 M elements, one module each, used once (no reuse): at A, A is fetched and
        // the prefetch takes B (10 M < 50 M), C (40 M < 50 M) and D (110 M ≥ 50 M, stop).
        long[] numel = [60_000_000, 10_000_000, 30_000_000, 70_000_000];
        var steps = Zero3Fetcher.Schedule([M("A", 0), M("B", 1), M("C", 2), M("D", 3)], numel, ZeroConfig.Default with { MaxReuseDistance = 0 });
        Assert.Equal([0, 1, 2, 3], steps[0].Gathered.Order());
        Assert.Equal([0], steps[0].Released);
        Assert.All(steps.Skip(1), s => Assert.Empty(s.Gathered));
        Assert.Equal([1], steps[1].Released);
        Assert.Equal([3], steps[3].Released);
    }

    [Fact]
    public void Max_live_parameters_bound_the_prefetch()
    {
        long[] numel = [900_000_000, 200_000_000, 200_000_000];
        var steps = Zero3Fetcher.Schedule([M("A", 0), M("B", 1), M("C", 2)], numel, ZeroConfig.Default with { MaxReuseDistance = 0 });
        // At A 0.9 e9 are live: min(1e9 − 0.9e9, 5e7) = 5e7 still allows one whole parameter (B).
        Assert.Equal([0, 1], steps[0].Gathered.Order());
        // At B (A released): budget min(1e9 − 2e8, 5e7): C is prefetched.
        Assert.Equal([2], steps[1].Gathered);
        var tight = Zero3Fetcher.Schedule([M("A", 0), M("B", 1)], [1_000_000_000, 200_000_000], ZeroConfig.Default with { MaxReuseDistance = 0 });
        Assert.Equal([0], tight[0].Gathered);   // nothing left under max live: no prefetch
        Assert.Equal([1], tight[1].Gathered);
    }

    [Fact]
    public void A_parameter_reused_within_the_distance_stays_gathered()
    {
        // A B A: after the first A, its next use is 1 module (10 M elements) away, within 1e9: kept, not gathered again.
        long[] numel = [60_000_000, 10_000_000];
        var steps = Zero3Fetcher.Schedule([M("A", 0), M("B", 1), M("A again", 0)], numel, ZeroConfig.Default);
        Assert.Empty(steps[0].Released);
        Assert.Empty(steps[2].Gathered);
        Assert.Contains(0, steps[2].Released);
        var far = Zero3Fetcher.Schedule([M("A", 0), M("B", 1), M("A again", 0)], numel, ZeroConfig.Default with { MaxReuseDistance = 5_000_000, PrefetchBucketSize = 0 });
        Assert.Equal([0], far[0].Released);
        Assert.Equal([0], far[2].Gathered);
    }

    [Fact]
    public void Persistent_parameters_are_never_gathered_and_everything_is_released_by_the_end()
    {
        long[] numel = [50_000, 60_000_000, 60_000_000];   // the first is under the persistence threshold (1e5)
        var trace = new[] { M("norm", 0), M("A", 1), M("B", 2), M("B back", 2), M("A back", 1), M("norm back", 0) };
        var steps = Zero3Fetcher.Schedule(trace, numel, ZeroConfig.Default);
        Assert.DoesNotContain(steps, s => s.Gathered.Contains(0) || s.Released.Contains(0));
        var live = new HashSet<int>();
        foreach (var s in steps)
        {
            foreach (int p in s.Gathered) Assert.True(live.Add(p));
            foreach (int p in s.Released) Assert.True(live.Remove(p));
        }
        Assert.Empty(live);
    }
}
