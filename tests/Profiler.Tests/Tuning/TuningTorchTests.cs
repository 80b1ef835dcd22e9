using GaLore.Kernels.Projection;
using GaLore.Planner.Fit;
using GaLore.Planner.Memory;
using GaLore.Planner.Devices;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using GaLore.Profiler.Tuning;
using TorchSharp;

namespace GaLore.Profiler.Tests.Tuning;

/// <summary>The parts of tune that run TorchSharp: timers, refresh timings, Markov tokens and a whole small run.</summary>
[Collection("torch")]
public sealed class TuningTorchTests
{
    [Fact]
    public void Timer_repeats_until_its_budget_is_spent_and_reports_the_median()
    {
        var timer = new DeviceTimer("cpu", repeats: 3, budgetSeconds: 0);
        int calls = 0;
        var once = timer.Measure(_ => calls++);
        Assert.Equal(1, once.Runs);                     // the budget is spent after the first run
        var full = new DeviceTimer("cpu", repeats: 3, budgetSeconds: 60).Measure(i => Thread.Sleep(i == 0 ? 30 : 5));
        Assert.Equal(3, full.Runs);
        Assert.InRange(full.Seconds, 0.004, 0.029);    // the median ignores the slow first run
        Assert.Equal(2.5, DeviceTimer.Median([4, 1, 2, 3]));
    }

    [Fact]
    public void RefreshTimingsCoverEveryShapeMethodAndRank_AndTheRangeFinderFindsTheSvdsSubspace()
    {
        ProjectedShape[] shapes = [new(96, 64, 3, "a"), new(64, 160, 2, "b")];
        var plan = new RefreshPlan(shapes, [4, 8], [RefreshMethod.Svd, RefreshMethod.Randomized], ProjectionType.Std, torch.ScalarType.Float32, Seed: 1);
        var timings = RefreshBenchmark.Run(plan, new DeviceTimer("cpu", 2, 5));

        Assert.Equal(2 * 2 * 2, timings.Count);
        Assert.All(timings, t => Assert.True(t.Seconds > 0 && t.Measured && t.Runs >= 1));
        Assert.All(timings.Where(t => t.Method == RefreshMethod.Randomized), t => Assert.InRange(t.Agreement!.Value, 0.9, 1.0 + 1e-5));
        Assert.All(timings.Where(t => t.Method == RefreshMethod.Svd), t => Assert.Null(t.Agreement));
    }

    [Fact]
    public void Markov_tokens_are_seeded_and_follow_the_chain_at_their_lag()
    {
        var chain = new MarkovChain(40, 3, 5);
        using var a = new MarkovTokens(chain, 11, lag: 2).Next(4, 20);
        using var b = new MarkovTokens(chain, 11, lag: 2).Next(4, 20);
        var ids = a.data<long>().ToArray();
        Assert.Equal(ids, b.data<long>().ToArray());
        for (int row = 0; row < 4; row++)
            for (int t = 2; t < 20; t++)
                Assert.True(chain.Probability((int)ids[row * 20 + t - 2], (int)ids[row * 20 + t]) > 0);
    }

    [Fact]
    public void A_small_run_skips_too_large_ranks_and_its_overheads_are_refresh_over_gap_times_step()
    {
        var step = new StepSpec(ModelPresets.Find("tiny")!, OptimizerSetup.FromName("galore_adamw"), new Precision(PrecisionMode.Fp32));
        var request = new TuneRequest
        {
            Query = new FitQuery(step, 1, 32, GpuCatalog.Resolve("8GiB")),
            Ranks = [4, 8, 64],
            Gaps = [50, 100],
            MeasureStep = StepMeasureMode.Always,
            TrainSteps = 4,
            ProxyRanks = [4],
            ProxyGaps = [2],
            MatmulSize = 512,
        };
        var r = TuneRunner.Run(request);

        Assert.Equal([4, 8], r.Ranks);
        Assert.Equal([64], r.SkippedRanks);
        Assert.Equal(8, r.Choice.Rank);
        Assert.NotNull(r.MeasuredStep);
        Assert.Equal(r.MeasuredStep!.StepSeconds, r.StepSeconds);
        foreach (var o in r.Overheads)
            Assert.Equal(r.Total(o.Method, o.Rank).Seconds / (o.Gap * r.StepSeconds), o.Fraction, 12);
        var shapes = r.Shapes.ToDictionary(s => s, s => r.Refresh.Single(t => t.Shape == s && t.Method == RefreshMethod.Svd && t.Rank == 8).Seconds);
        Assert.Equal(shapes.Sum(kv => kv.Key.Count * kv.Value), r.Total(RefreshMethod.Svd, 8).Seconds, 12);
        Assert.Equal(1 + 3, r.Quality!.Runs.Count);     // one GaLore run, three AdamW learning rates
        Assert.All(r.Quality.Runs, run => Assert.Equal(4, run.Losses.Count));
    }
}
