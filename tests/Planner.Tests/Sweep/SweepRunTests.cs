using GaLore.Planner.Devices;
using GaLore.Planner.Fit;
using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Search;
using GaLore.Planner.Sweep;

namespace GaLore.Planner.Tests.Sweep;

/// <summary>A sweep's points and frontier are what the planner answers for each configuration on its own.</summary>
public class SweepRunTests
{
    /// <summary><c>fit</c>'s defaults: llama-7b, galore_adamw_8bit_layerwise at rank 128, bf16, batch 1 × 256 on an RTX 4090.</summary>
    internal static FitQuery DefaultQuery(string model = "llama-7b", string optimizer = "galore_adamw_8bit_layerwise", string gpu = "rtx-4090") =>
        new(new StepSpec(ModelPresets.Find(model)!, OptimizerSetup.FromName(optimizer), new Precision(PrecisionMode.Bf16)), 1, 256, GpuCatalog.Resolve(gpu));

    [Fact]
    public void Every_point_is_the_planners_estimate_and_the_frontier_its_max_batch()
    {
        var grid = new SweepGrid([64, 128, 256], [1, 2, 4, 8], [256, 512, 1024]);
        var result = SweepRun.Run(DefaultQuery(), grid);
        Assert.Equal(3 * 4 * 3, result.Points.Count);
        int k = 0;
        foreach (int rank in grid.Ranks)
            foreach (int batch in grid.Batches)
                foreach (int seq in grid.Seqs)
                {
                    var p = result.Points[k++];
                    Assert.Equal((rank, batch, seq), (p.Rank, p.Batch, p.Seq));
                    var e = FitCalculator.Estimate(DefaultQuery().WithRank(rank) with { Batch = batch, Seq = seq });
                    Assert.Equal((e.AllocatedBytes, e.ReservedBytes, e.DeviceUsedBytes, e.Breakdown, e.Phase),
                        (p.AllocatedBytes, p.ReservedBytes, p.DeviceUsedBytes, p.Breakdown, p.Phase));
                    Assert.Equal(e.DeviceUsedBytes <= result.UsableBytes, result.Fits(p));
                    Assert.Equal(p, result.At(rank, batch, seq));
                }
        Assert.Equal(3 * 3, result.Frontier.Count);
        k = 0;
        foreach (int rank in grid.Ranks)
            foreach (int seq in grid.Seqs)
            {
                var f = result.Frontier[k++];
                Assert.Equal((rank, seq), (f.Rank, f.Seq));
                Assert.Equal(FitCalculator.Evaluate(DefaultQuery().WithRank(rank) with { Seq = seq }, withSuggestions: false).MaxBatch, f.MaxBatch);
                Assert.Equal(grid.Batches.LastOrDefault(b => result.Fits(result.At(rank, b, seq))), f.MaxGridBatch);
                Assert.Equal(f, result.FrontierAt(grid.Ranks.ToList().IndexOf(rank), grid.Seqs.ToList().IndexOf(seq)));
            }
        Assert.Equal(result.Points.Count(result.Fits), result.PointsFitting);
        Assert.True(result.PointsPerSecond > 0);
    }

    [Fact]
    public void The_query_is_the_grids_smallest_point()
    {
        var result = SweepRun.Run(DefaultQuery(), new SweepGrid([64, 128], [2, 4], [512, 1024]));
        Assert.Equal(64, result.Query.Step.Optimizer.GaLore.Rank);
        Assert.Equal((2, 512), (result.Query.Batch, result.Query.Seq));
    }

    [Fact]
    public void A_rank_too_large_for_the_model_is_bad_input()
    {
        var e = Assert.Throws<PlannerInputException>(() =>
            SweepRun.Run(DefaultQuery("llama-60m", "galore_adamw"), new SweepGrid([64, 128, 256, 512, 1024], [1], [256])));
        Assert.Contains("rank 1024 is larger than", e.Message);
    }

    [Theory]
    [InlineData(new[] { 128, 64 }, new[] { 1 }, new[] { 256 }, "ascend")]
    [InlineData(new[] { 64 }, new[] { 1, 1 }, new[] { 256 }, "ascend")]
    [InlineData(new[] { 64 }, new int[0], new[] { 256 }, "no values")]
    [InlineData(new[] { 64 }, new[] { 0, 1 }, new[] { 256 }, "must be positive")]
    public void A_grid_out_of_order_or_empty_is_bad_input(int[] ranks, int[] batches, int[] seqs, string fragment)
    {
        var e = Assert.Throws<PlannerInputException>(() => SweepRun.Run(DefaultQuery(), new SweepGrid(ranks, batches, seqs)));
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void More_than_a_million_points_is_bad_input()
    {
        var batches = Enumerable.Range(1, 1001).ToArray();
        var e = Assert.Throws<PlannerInputException>(() => SweepRun.Run(DefaultQuery(), new SweepGrid([128], batches, Enumerable.Range(1, 1000).ToArray())));
        Assert.Contains("at most 1,000,000", e.Message);
    }
}
