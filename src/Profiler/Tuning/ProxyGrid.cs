namespace GaLore.Profiler.Tuning;

/// <summary>
/// The proxy's rank × T grid when the user does not give one. A 7B model's ranks (64–1024 of a 4096 side) do not exist on a
/// proxy whose smallest projected side is 32, so ranks keep their <b>fraction of the smallest projected side</b>:
/// r_proxy = round(r × s_proxy / s_model), clipped to [1, s_proxy]. T keeps a fraction of the run: the GaLore repository's
/// C4 pre-training scripts refresh every 200 steps over runs of 10,000–60,000 steps (e.g. LLaMA-350M: lr 0.01, scale 0.25,
/// rank 256, T = 200, 60,000 steps), i.e. every 0.3–2 % of the run; a proxy run of a few hundred steps cannot go that low
/// and still refresh more than once, so the default gaps are 2 % (the closest), 10 % and 50 % of the proxy's steps.
/// </summary>
public static class ProxyGrid
{
    /// <summary>Fractions of the run used as default gaps.</summary>
    public static readonly IReadOnlyList<double> GapFractions = [0.02, 0.10, 0.50];

    /// <summary>Target ranks mapped to the proxy by fraction of the smallest side (distinct, ascending).</summary>
    public static IReadOnlyList<int> MapRanks(IEnumerable<int> ranks, long targetSmallest, long proxySmallest)
    {
        if (targetSmallest <= 0 || proxySmallest <= 0) throw new ArgumentOutOfRangeException(nameof(targetSmallest), "sides must be positive");
        return ranks.Select(r => (int)Math.Clamp(Math.Round((double)r * proxySmallest / targetSmallest, MidpointRounding.AwayFromZero), 1, proxySmallest))
            .Distinct().Order().ToArray();
    }

    /// <summary>Ranks the user gave for the proxy, clipped to its smallest side (distinct, ascending).</summary>
    public static IReadOnlyList<int> ClipRanks(IEnumerable<int> ranks, long proxySmallest) =>
        ranks.Select(r => (int)Math.Min(r, proxySmallest)).Distinct().Order().ToArray();

    /// <summary>Default gaps for a run of <paramref name="steps"/> steps (distinct, ascending, at least 1).</summary>
    public static IReadOnlyList<int> DefaultGaps(int steps) =>
        GapFractions.Select(f => Math.Max(1, (int)Math.Round(f * steps, MidpointRounding.AwayFromZero))).Distinct().Order().ToArray();
}
