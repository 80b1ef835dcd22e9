using GaLore.Planner.Optimizers;

namespace GaLore.Planner.Tests;

public class ProjectionGeometryTests
{
    // GaLore's reference: std projects on the right for tall/square (R = G·Qᵀ, m×r) and on the left for wide (R = Pᵀ·G, r×n).
    [Theory]
    [InlineData(96, 32, ProjectionType.Std, ProjectionSide.Right, 96, 8, 8 * 32)]
    [InlineData(32, 96, ProjectionType.Std, ProjectionSide.Left, 8, 96, 32 * 8)]
    [InlineData(64, 64, ProjectionType.Std, ProjectionSide.Right, 64, 8, 64 * 8)]
    [InlineData(96, 32, ProjectionType.ReverseStd, ProjectionSide.Left, 8, 32, 96 * 8)]
    [InlineData(32, 96, ProjectionType.ReverseStd, ProjectionSide.Right, 32, 8, 8 * 96)]
    [InlineData(96, 32, ProjectionType.Left, ProjectionSide.Left, 8, 32, 96 * 8)]
    [InlineData(96, 32, ProjectionType.Right, ProjectionSide.Right, 96, 8, 8 * 32)]
    [InlineData(96, 32, ProjectionType.Full, ProjectionSide.Both, 8, 8, (96 + 32) * 8)]
    public void Orientation_and_shapes(long m, long n, ProjectionType type, ProjectionSide side, long rr, long rc, long projector)
    {
        var g = ProjectionGeometry.For(m, n, 8, type);
        Assert.Equal(side, g.Side);
        Assert.Equal((rr, rc), (g.LowRankRows, g.LowRankCols));
        Assert.Equal(projector, g.ProjectorElements);
    }

    [Fact]
    public void Rank_is_capped_by_the_smaller_dimension()
    {
        var g = ProjectionGeometry.For(100, 20, 64, ProjectionType.Std);
        Assert.Equal(20, g.Rank);
        Assert.Equal(100 * 20, g.LowRankElements);
    }
}
