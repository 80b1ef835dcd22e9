using GaLore.Planner.Search;
using GaLore.Planner.Sweep;

namespace GaLore.Planner.Tests.Sweep;

public class LimitAnalysisTests
{
    [Fact]
    public void Limit_positions_follow_the_definition()
    {
        // llama-7b galore 8-bit layerwise on a 4090 (README): batch 1 × 256 fits, max batch 6, so batch 8 is the first
        // batch value that fails: index 3 of 1..64 (7 values) → 0.5.
        var result = SweepRun.Run(SweepRunTests.DefaultQuery(), new SweepGrid([128], [1, 2, 4, 8, 16, 32, 64], [256, 512, 1024, 2048, 4096]));
        var verdict = LimitAnalysis.Analyze(result);
        var axes = verdict.Axes.ToDictionary(a => a.Axis);
        Assert.Equal([SweepAxis.Batch, SweepAxis.Seq], axes.Keys);               // rank has one value: not varied
        Assert.Equal(8, axes[SweepAxis.Batch].FirstFailing);
        Assert.Equal(0.5, axes[SweepAxis.Batch].Fraction!.Value, 9);
        Assert.Equal(2048, axes[SweepAxis.Seq].FirstFailing);   // 1536 tokens fit at batch 1 (report), 2048 do not
        Assert.Equal(0.75, axes[SweepAxis.Seq].Fraction!.Value, 9);
        Assert.True(axes[SweepAxis.Seq].BytesPerDoubling > 0);
        Assert.Equal([SweepAxis.Batch], verdict.First);
        Assert.True(verdict.BaseFits);
        Assert.Empty(verdict.NonMonotone);
    }

    [Fact]
    public void Batch_hits_the_limit_first_and_the_grid_is_monotone()
    {
        var result = SweepRun.Run(SweepRunTests.DefaultQuery(), new SweepGrid([64, 128, 256], [1, 2, 4, 8], [256, 512, 1024]));
        var verdict = LimitAnalysis.Analyze(result);
        Assert.Equal([SweepAxis.Batch], verdict.First);
        Assert.Empty(verdict.NonMonotone);
        Assert.Equal(result.At(64, 1, 256).DeviceUsedBytes, verdict.BasePeakBytes);
    }

    [Fact]
    public void Doubling_costs_are_differences_of_the_planners_peaks()
    {
        var q = SweepRunTests.DefaultQuery();
        var result = SweepRun.Run(q, new SweepGrid([64, 256], [2, 8], [256, 1024]));
        var verdict = LimitAnalysis.Analyze(result);
        long Peak(int rank, int batch, int seq) => Fit.FitCalculator.Estimate(q.WithRank(rank) with { Batch = batch, Seq = seq }).DeviceUsedBytes;
        long basePeak = Peak(64, 2, 256);
        var axes = verdict.Axes.ToDictionary(a => a.Axis);
        Assert.Equal(Peak(128, 2, 256) - basePeak, axes[SweepAxis.Rank].BytesPerDoubling);
        Assert.Equal(Peak(64, 4, 256) - basePeak, axes[SweepAxis.Batch].BytesPerDoubling);
        Assert.Equal(Peak(64, 2, 512) - basePeak, axes[SweepAxis.Seq].BytesPerDoubling);
        Assert.Equal((Peak(64, 8, 256) - basePeak) / 2.0, axes[SweepAxis.Batch].AverageBytesPerDoubling, 6);
        Assert.Equal((Peak(256, 2, 256) - basePeak) / 2.0, axes[SweepAxis.Rank].AverageBytesPerDoubling, 6);
    }

    [Fact]
    public void Nothing_grows_when_the_smallest_point_does_not_fit()
    {
        var result = SweepRun.Run(SweepRunTests.DefaultQuery("llama-7b", "adamw"), new SweepGrid([128], [1, 2], [256, 512]));
        var verdict = LimitAnalysis.Analyze(result);
        Assert.False(verdict.BaseFits);
        Assert.Empty(verdict.First);
    }
}
