using GaLore.Kernels.Projection;
using GaLore.Planner.Optimizers;
using static TorchSharp.torch;

namespace GaLore.Kernels.Tests.Kernels;

[Collection("torch")]
public sealed class ProjectorTests : TorchTestBase
{
    /// <summary>Every shape class × proj_type with the side the reference picks, written out from galore_torch's
    /// <c>GaLoreProjector.project</c> (std: right when rows ≥ cols, else left; reverse_std: the opposite; left/right:
    /// forced; full: both) — a table, not a copy of the production switch.</summary>
    public static TheoryData<long, long, ProjectionType, ProjectionSide> Shapes() => new()
    {
        { 96, 32, ProjectionType.Std, ProjectionSide.Right },
        { 32, 96, ProjectionType.Std, ProjectionSide.Left },
        { 64, 64, ProjectionType.Std, ProjectionSide.Right },
        { 96, 32, ProjectionType.ReverseStd, ProjectionSide.Left },
        { 32, 96, ProjectionType.ReverseStd, ProjectionSide.Right },
        { 64, 64, ProjectionType.ReverseStd, ProjectionSide.Left },
        { 96, 32, ProjectionType.Left, ProjectionSide.Left },
        { 32, 96, ProjectionType.Left, ProjectionSide.Left },
        { 64, 64, ProjectionType.Left, ProjectionSide.Left },
        { 96, 32, ProjectionType.Right, ProjectionSide.Right },
        { 32, 96, ProjectionType.Right, ProjectionSide.Right },
        { 64, 64, ProjectionType.Right, ProjectionSide.Right },
        { 96, 32, ProjectionType.Full, ProjectionSide.Both },
        { 32, 96, ProjectionType.Full, ProjectionSide.Both },
        { 64, 64, ProjectionType.Full, ProjectionSide.Both },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Orientation_shapes_and_orthonormality(long m, long n, ProjectionType type, ProjectionSide expectedSide)
    {
        using var scope = NewDisposeScope();
        const int rank = 8;
        var g = Randn(m * 7 + n, ScalarType.Float32, m, n);
        using var projector = new GaLoreProjector(m, n, new GaLoreSettings(rank, 10, 1.0, type), ScalarType.Float32);
        Assert.True(projector.RefreshIfDue(g, 0));
        var geometry = ProjectionGeometry.For(m, n, rank, type);
        Assert.Equal(geometry, projector.Geometry);
        Assert.Equal(geometry.ProjectorElements, projector.State!.numel());

        Assert.Equal(expectedSide, geometry.Side);

        var eye8 = eye(rank);
        if (expectedSide != ProjectionSide.Right)
        {
            var p = projector.Left!;
            Assert.Equal([m, rank], p.shape);
            Assert.True(p.t().mm(p).allclose(eye8, atol: 1e-5), "P must have orthonormal columns");
        }
        else Assert.Null(projector.Left);
        if (expectedSide != ProjectionSide.Left)
        {
            var q = projector.Right!;
            Assert.Equal([rank, n], q.shape);
            Assert.True(q.mm(q.t()).allclose(eye8, atol: 1e-5), "Q must have orthonormal rows");
        }
        else Assert.Null(projector.Right);

        var r = projector.Project(g);
        Assert.Equal(projector.LowRankShape, r.shape);
        Assert.Equal([geometry.LowRankRows, geometry.LowRankCols], r.shape);
        // The projection keeps the energy of the top singular values: Σ_{i<r} σ_i² (one side or both).
        var s = linalg.svdvals(g);
        double topEnergy = s.narrow(0, 0, rank).square().sum().item<float>();
        Assert.Equal(topEnergy, r.square().sum().item<float>(), topEnergy * 1e-4);
    }

    [Theory]
    [InlineData(48, 16, ProjectionType.Std)]
    [InlineData(16, 48, ProjectionType.Std)]
    [InlineData(24, 24, ProjectionType.Full)]
    [InlineData(48, 16, ProjectionType.ReverseStd)]
    public void Project_back_applies_scaled_update_in_place(long m, long n, ProjectionType type)
    {
        using var scope = NewDisposeScope();
        const int rank = 4;
        const double scale = 0.25;
        var g = Randn(3, ScalarType.Float32, m, n);
        using var projector = new GaLoreProjector(m, n, new GaLoreSettings(rank, 10, scale, type), ScalarType.Float32);
        projector.RefreshIfDue(g, 0);
        var lowRank = Randn(4, ScalarType.Float32, projector.LowRankShape);
        var w = Randn(5, ScalarType.Float32, m, n);
        var expected = projector.Geometry.Side switch
        {
            ProjectionSide.Left => projector.Left!.mm(lowRank),
            ProjectionSide.Right => lowRank.mm(projector.Right!),
            _ => projector.Left!.mm(lowRank).mm(projector.Right!),
        } * (-0.5 * scale) + w;
        projector.ProjectBackInto(w, lowRank, -0.5);
        Assert.True(w.allclose(expected, atol: 1e-5));
    }

    [Theory]
    [InlineData(40, 24)]
    [InlineData(24, 40)]
    public void Full_rank_projection_is_lossless(long m, long n)
    {
        using var scope = NewDisposeScope();
        long rank = Math.Min(m, n);
        var g = Randn(6, ScalarType.Float32, m, n);
        using var projector = new GaLoreProjector(m, n, new GaLoreSettings((int)rank, 10, 1.0, ProjectionType.Std), ScalarType.Float32);
        projector.RefreshIfDue(g, 0);
        var w = zeros(m, n);
        projector.ProjectBackInto(w, projector.Project(g), 1.0);
        Assert.True(w.allclose(g, atol: 1e-4), "with rank = min(m, n) the projector is orthogonal and back(project(G)) = G");
    }

    [Fact]
    public void Refreshes_exactly_at_multiples_of_the_gap()
    {
        using var scope = NewDisposeScope();
        using var projector = new GaLoreProjector(32, 16, new GaLoreSettings(4, 3, 1.0, ProjectionType.Std), ScalarType.Float32);
        var refreshed = new List<long>();
        for (long step = 0; step < 10; step++)
            if (projector.RefreshIfDue(Randn(step, ScalarType.Float32, 32, 16), step)) refreshed.Add(step);
        Assert.Equal([0L, 3L, 6L, 9L], refreshed);
        Assert.Equal(4, projector.RefreshCount);
    }

    [Fact]
    public void Bfloat16_gradient_keeps_bfloat16_projector_and_projection()
    {
        using var scope = NewDisposeScope();
        var g = Randn(8, ScalarType.BFloat16, 64, 32);
        using var projector = new GaLoreProjector(64, 32, new GaLoreSettings(8, 10, 1.0, ProjectionType.Std), ScalarType.BFloat16);
        projector.RefreshIfDue(g, 0);
        Assert.Equal(ScalarType.BFloat16, projector.State!.dtype);
        Assert.Equal(ScalarType.BFloat16, projector.Project(g).dtype);
        // A float32 projector (Adafactor) projects a bf16 gradient in bf16 and back-projects into a bf16 weight.
        using var f32 = new GaLoreProjector(64, 32, new GaLoreSettings(8, 10, 1.0, ProjectionType.Std), ScalarType.Float32);
        f32.RefreshIfDue(g, 0);
        var r = f32.Project(g);
        Assert.Equal(ScalarType.BFloat16, r.dtype);
        var w = zeros(64, 32, ScalarType.BFloat16);
        f32.ProjectBackInto(w, r.to(ScalarType.Float32), 1.0);
        Assert.Equal(ScalarType.BFloat16, w.dtype);
    }

    [Theory]
    [InlineData(300, 200, ProjectionType.Std)]
    [InlineData(200, 300, ProjectionType.Std)]
    [InlineData(200, 300, ProjectionType.Full)]
    public void Randomized_refresh_spans_nearly_the_svd_subspace(long m, long n, ProjectionType type)
    {
        using var scope = NewDisposeScope();
        const int rank = 12;
        var g = LowRankPlusNoise(m, n, 2 * rank, 0.01, seed: 11);
        var settings = new GaLoreSettings(rank, 10, 1.0, type);
        using var exact = new GaLoreProjector(m, n, settings, ScalarType.Float32);
        using var fast = new GaLoreProjector(m, n, settings, ScalarType.Float32, SubspaceRefresh.Randomized with { Seed = 5 });
        exact.RefreshIfDue(g, 0);
        fast.RefreshIfDue(g, 0);
        Assert.Equal(exact.State!.shape, fast.State!.shape);
        if (exact.Left is { } p)
        {
            var pf = fast.Left!;
            Assert.True(pf.t().mm(pf).allclose(eye(rank), atol: 1e-5));
            Assert.True(Agreement(p, pf) > 0.99, $"left agreement {Agreement(p, pf)}");
        }
        if (exact.Right is { } q)
        {
            var qf = fast.Right!;
            Assert.True(qf.mm(qf.t()).allclose(eye(rank), atol: 1e-5));
            Assert.True(Agreement(q.t(), qf.t()) > 0.99, $"right agreement {Agreement(q.t(), qf.t())}");
        }
    }

    /// <summary>‖AᵀB‖_F² / r: 1 when two r-column orthonormal bases span the same subspace.</summary>
    static double Agreement(Tensor a, Tensor b) => a.t().mm(b).square().sum().item<float>() / a.shape[1];

    /// <summary>A matrix with a decaying spectrum of k directions plus small Gaussian noise.</summary>
    internal static Tensor LowRankPlusNoise(long m, long n, long k, double noise, long seed)
    {
        var left = linalg.qr(Randn(seed, ScalarType.Float32, m, k)).Q;
        var right = linalg.qr(Randn(seed + 1, ScalarType.Float32, n, k)).Q;
        var spectrum = pow(0.8, arange(k, ScalarType.Float32));
        return left.mul(spectrum).mm(right.t()).add_(Randn(seed + 2, ScalarType.Float32, m, n).mul_(noise / Math.Sqrt(Math.Max(m, n))));
    }

    [Fact]
    public void Rejects_wrong_shapes_and_settings()
    {
        using var scope = NewDisposeScope();
        using var projector = new GaLoreProjector(8, 4, new GaLoreSettings(2, 5, 1.0, ProjectionType.Std), ScalarType.Float32);
        Assert.Throws<InvalidOperationException>(() => projector.Project(zeros(8, 4)));
        Assert.Throws<ArgumentException>(() => projector.RefreshIfDue(zeros(4, 8), 0));
        Assert.Throws<ArgumentException>(() => new GaLoreProjector(8, 4, GaLoreSettings.Default, ScalarType.Int32));
        Assert.ThrowsAny<Exception>(() => new GaLoreProjector(8, 4, new GaLoreSettings(0, 5, 1.0, ProjectionType.Std), ScalarType.Float32));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GaLoreProjector(8, 4, GaLoreSettings.Default, ScalarType.Float32, new SubspaceRefresh(RefreshMethod.Randomized, -1)));
    }
}
