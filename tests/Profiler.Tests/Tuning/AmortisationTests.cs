using GaLore.Planner.Models;
using GaLore.Profiler.Tuning;

namespace GaLore.Profiler.Tests.Tuning;

/// <summary>The arithmetic behind "T = 200: refresh overhead x % of step time", checked by hand.</summary>
public sealed class AmortisationTests
{
    [Theory]
    [InlineData(12.0, 200, 0.5, 0.12)]      // 12 s / (200 × 0.5 s)
    [InlineData(4480.0, 500, 15.6, 0.5744)] // a 7B SVD refresh step on a CPU against a 15.6 s estimated step
    [InlineData(0.0, 50, 1.0, 0.0)]
    public void Overhead_is_refresh_over_gap_times_step(double refresh, int gap, double step, double expected) =>
        Assert.Equal(expected, Amortisation.Overhead(refresh, gap, step), 4);

    [Fact]
    public void Refresh_step_sums_count_times_time_over_shapes()
    {
        // llama-7b: 128 × 4096² at 12.5 s, 64 × 11008×4096 at 30 s, 32 × 4096×11008 at 28 s.
        Assert.Equal(128 * 12.5 + 64 * 30 + 32 * 28, Amortisation.RefreshSeconds([(128, 12.5), (64, 30.0), (32, 28.0)]), 9);
    }

    [Theory]
    [InlineData(12.0, 0.5, 0.05, 480)]     // 12 / (0.05 × 0.5) = 480 exactly
    [InlineData(12.1, 0.5, 0.05, 484)]     // 484 → ceil
    [InlineData(0.001, 1.0, 0.05, 1)]      // never below 1
    public void Smallest_gap_within_budget_rounds_up(double refresh, double step, double budget, int expected) =>
        Assert.Equal(expected, Amortisation.SmallestGapWithin(refresh, step, budget));

    [Fact]
    public void Step_seconds_is_flops_over_throughput() => Assert.Equal(2.0, Amortisation.StepSeconds(1e12, 5e11), 12);

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Amortisation.Overhead(1, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Amortisation.Overhead(1, 10, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Amortisation.Overhead(-1, 10, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Amortisation.StepSeconds(1, 0));
    }

    [Fact]
    public void Training_flops_are_six_nd_without_the_embedding_lookup()
    {
        var tiny = ModelPresets.Find("tiny")!;
        long n = 158_016 - 512 * 64;                                 // all parameters minus the input embedding table
        Assert.Equal(n, TrainingFlops.MatmulParameters(tiny));
        Assert.Equal(6.0 * n * 256, TrainingFlops.PerStep(tiny, 256, checkpointing: false));
        Assert.Equal(8.0 * n * 256, TrainingFlops.PerStep(tiny, 256, checkpointing: true));
        Assert.Equal(6_738_415_616 - 32000L * 4096, TrainingFlops.MatmulParameters(ModelPresets.Find("llama-7b")!));
        // Tied embeddings: the one matrix is also lm_head's matmul, so nothing is subtracted.
        var tied = ModelConfig.Llama("tied", 100, 32, 48, 2, 4, kvHeads: 2, tie: true);
        Assert.Equal(ParameterTable.Build(tied).Sum(t => t.Elements), TrainingFlops.MatmulParameters(tied));
    }
}
