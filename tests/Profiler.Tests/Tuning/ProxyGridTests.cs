using GaLore.Profiler.Tuning;

namespace GaLore.Profiler.Tests.Tuning;

public sealed class ProxyGridTests
{
    [Fact]
    public void Ranks_keep_their_fraction_of_the_smallest_side()
    {
        // llama-7b's side is 4096, tiny's 32: 64 → 0.5 → 1, 128 → 1, 256 → 2, 512 → 4, 1024 → 8.
        Assert.Equal([1, 2, 4, 8], ProxyGrid.MapRanks([64, 128, 256, 512, 1024], 4096, 32));
        Assert.Equal([32], ProxyGrid.MapRanks([4096, 8192], 4096, 32));
    }

    [Fact]
    public void Given_ranks_are_clipped_to_the_proxy() => Assert.Equal([4, 32], ProxyGrid.ClipRanks([4, 64, 128], 32));

    [Theory]
    [InlineData(100, new[] { 2, 10, 50 })]
    [InlineData(300, new[] { 6, 30, 150 })]
    [InlineData(10, new[] { 1, 5 })]
    public void Default_gaps_are_two_ten_and_fifty_percent_of_the_run(int steps, int[] expected) => Assert.Equal(expected, ProxyGrid.DefaultGaps(steps));
}
