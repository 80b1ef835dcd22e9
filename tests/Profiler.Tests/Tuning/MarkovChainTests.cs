using GaLore.Profiler.Tuning;

namespace GaLore.Profiler.Tests.Tuning;

public sealed class MarkovChainTests
{
    [Fact]
    public void Every_token_has_k_successors_whose_probabilities_sum_to_one()
    {
        var chain = new MarkovChain(50, successors: 4, seed: 3);
        for (int t = 0; t < 50; t++)
        {
            var probs = Enumerable.Range(0, 50).Select(to => chain.Probability(t, to)).ToArray();
            Assert.Equal(1.0, probs.Sum(), 9);
            Assert.Equal(4, probs.Count(p => p > 0));
            for (double u = 0; u < 1; u += 0.01) Assert.True(chain.Probability(t, chain.Next(t, u)) > 0);
        }
    }

    [Fact]
    public void EntropyRateLiesBetweenZeroAndLnK_AndDeterministicChainsHaveNone()
    {
        double h = new MarkovChain(200, 4, 1).EntropyRate();
        Assert.InRange(h, 0.1, Math.Log(4));
        Assert.Equal(0, new MarkovChain(20, 1, 1).EntropyRate(), 12);
    }

    [Fact]
    public void The_same_seed_gives_the_same_chain()
    {
        var a = new MarkovChain(64, 4, 9);
        var b = new MarkovChain(64, 4, 9);
        for (int t = 0; t < 64; t++)
            for (double u = 0.05; u < 1; u += 0.1) Assert.Equal(a.Next(t, u), b.Next(t, u));
        Assert.Equal(a.EntropyRate(), b.EntropyRate());
    }
}
