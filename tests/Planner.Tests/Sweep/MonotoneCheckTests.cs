using GaLore.Planner.Sweep;

namespace GaLore.Planner.Tests.Sweep;

public class MonotoneCheckTests
{
    [Fact]
    public void Each_decrease_between_neighbours_is_reported_once_with_its_place()
    {
        var grid = new SweepGrid([64, 128], [1, 2, 4], [256, 512]);
        // Peaks rank-major then batch then seq; increasing except: batch 2 → 4 at (64, ·, 512), rank 64 → 128 at (·, 4, 256)
        // and seq 256 → 512 at (128, 1, ·).
        long[] peaks =
        [
            10, 11, // rank 64, batch 1
            12, 20, // rank 64, batch 2
            18, 19, // rank 64, batch 4: 19 < 20 (batch), and 18 → rank 128's 17 (rank)
            15, 14, // rank 128, batch 1: 14 < 15 (seq)
            16, 21, // rank 128, batch 2
            17, 31, // rank 128, batch 4
        ];
        var points = new SweepPoint[peaks.Length];
        int k = 0;
        foreach (int r in grid.Ranks)
            foreach (int b in grid.Batches)
                foreach (int s in grid.Seqs)
                {
                    points[k] = new SweepPoint(r, b, s, peaks[k], peaks[k], peaks[k], default, "forward");
                    k++;
                }
        var result = new SweepResult(SweepRunTests.DefaultQuery(), grid, points, 0, [], [], 0, 0, 0);
        var found = MonotoneCheck.NonMonotone(result);
        Assert.Equal(
        [
            new NonMonotonePair(SweepAxis.Batch, 2, 4, 64, 2, 512, 20, 19),
            new NonMonotonePair(SweepAxis.Rank, 64, 128, 64, 4, 256, 18, 17),
            new NonMonotonePair(SweepAxis.Seq, 256, 512, 128, 1, 256, 15, 14),
        ], found);
    }
}
