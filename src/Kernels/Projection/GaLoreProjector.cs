using GaLore.Kernels.Native;
using GaLore.Planner.Optimizers;
using static TorchSharp.torch;

namespace GaLore.Kernels.Projection;

/// <summary>
/// GaLore's gradient projector for one m × n weight (Zhao et al. 2024, arXiv 2403.03507, Alg. 2; reference
/// <c>galore_torch.GaLoreProjector</c>). Orientation and shapes come from <see cref="ProjectionGeometry.For"/>,
/// the planner's single source of truth:
/// <list type="bullet">
/// <item>left: P (m × r) = first r columns of U; R = Pᵀ·G (r × n); back: P·N.</item>
/// <item>right: Q (r × n) = first r rows of Vᴴ; R = G·Qᵀ (m × r); back: N·Q.</item>
/// <item>both (<c>full</c>): R = Pᵀ·G·Qᵀ (r × r); back: (P·N)·Q.</item>
/// </list>
/// P and Q live in one flat buffer (<see cref="State"/>: P's m·r elements, then Q's r·n), so the state is a
/// single tensor of <see cref="ProjectionGeometry.ProjectorElements"/> elements — what <c>StateLayout</c> counts.
/// The buffer's dtype is the optimizer's (the gradient's for AdamW/8-bit, float32 for Adafactor).
/// </summary>
public sealed class GaLoreProjector : IDisposable
{
    Tensor? state;

    /// <summary>Creates an empty projector; the first <see cref="RefreshIfDue"/> fills it.</summary>
    /// <param name="rows">m, the weight's rows.</param>
    /// <param name="cols">n, the weight's columns.</param>
    /// <param name="settings">rank, update_proj_gap, scale and proj_type.</param>
    /// <param name="dtype">Element type of the stored projector.</param>
    /// <param name="refresh">How refreshes find the subspace (default: SVD).</param>
    /// <param name="seed">The first seed of a <see cref="RefreshMethod.Gaussian"/> projector (APOLLO: the parameter's index).</param>
    public GaLoreProjector(long rows, long cols, GaLoreSettings settings, ScalarType dtype, SubspaceRefresh? refresh = null, long seed = 0)
    {
        TorchNativeLoader.EnsureLoaded();
        Settings = (settings ?? throw new ArgumentNullException(nameof(settings))).Validate();
        Refresh = (refresh ?? SubspaceRefresh.Svd).Validate();
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16 or ScalarType.Float64))
            throw new ArgumentException($"projector dtype must be floating point, got {dtype}", nameof(dtype));
        Rows = rows;
        Cols = cols;
        DType = dtype;
        Geometry = ProjectionGeometry.For(rows, cols, settings.Rank, settings.ProjType);
        if (Refresh.Method == RefreshMethod.Gaussian && Geometry.Side == ProjectionSide.Both)
            throw new ArgumentException("a Gaussian (APOLLO) projector projects one side only: proj_type full is not supported", nameof(settings));
        Seed = seed;
    }

    /// <summary>The seed the next Gaussian refresh draws from (advanced after each, as <c>apollo_torch</c>'s <c>next_seed</c>).</summary>
    public long Seed { get; private set; }

    /// <summary>Rows m of the weight.</summary>
    public long Rows { get; }

    /// <summary>Columns n of the weight.</summary>
    public long Cols { get; }

    /// <summary>GaLore's knobs for this weight.</summary>
    public GaLoreSettings Settings { get; }

    /// <summary>Refresh method.</summary>
    public SubspaceRefresh Refresh { get; }

    /// <summary>Orientation and shapes (from the planner).</summary>
    public ProjectionGeometry Geometry { get; }

    /// <summary>Element type of the stored projector.</summary>
    public ScalarType DType { get; }

    /// <summary>How many times the subspace was recomputed (SVDs or range finders) by this object.</summary>
    public int RefreshCount { get; private set; }

    /// <summary>The flat projector buffer (P then Q), or null before the first refresh. Owned by this object.</summary>
    public Tensor? State => state;

    /// <summary>Shape of the projected gradient R.</summary>
    public long[] LowRankShape => [Geometry.LowRankRows, Geometry.LowRankCols];

    /// <summary>
    /// Recomputes the projector from <paramref name="grad"/> when none exists yet or when <c>step % T == 0</c>.
    /// <paramref name="step"/> is the optimizer's step count before this update is counted, as in the reference
    /// (it tests <c>iter % update_proj_gap</c> before incrementing), so refreshes happen at steps 0, T, 2T, ….
    /// </summary>
    /// <returns>Whether a refresh happened.</returns>
    public bool RefreshIfDue(Tensor grad, long step)
    {
        if (state is not null && step % Settings.UpdateProjGap != 0) return false;
        Recompute(grad, step);
        return true;
    }

    /// <summary>
    /// Recomputes the projector from the top-r singular vectors of a float32 copy of <paramref name="grad"/>.
    /// The new buffer exists before the old one is disposed (what the planner's refresh transient counts).
    /// </summary>
    public void Recompute(Tensor grad, long step)
    {
        CheckShape(grad);
        if (Refresh.Method == RefreshMethod.Gaussian)
        {
            Regenerate(grad.device);
            return;
        }
        var g = Geometry;
        Tensor fresh;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var g32 = grad.to(ScalarType.Float32);            // a copy only when grad is not float32
            Tensor u, vh;
            if (Refresh.Method == RefreshMethod.Svd)
            {
                var (fu, _, fvh) = linalg.svd(g32, fullMatrices: false);
                (u, vh) = (fu, fvh);
            }
            else
                (u, vh) = RandomizedRangeFinder.TopSingularVectors(g32, g.Rank, Refresh.Oversampling, Refresh.PowerIterations, Refresh.Seed + step);
            fresh = empty([g.ProjectorElements], DType, grad.device);
            if (g.LeftProjectorRows > 0) LeftOf(fresh).copy_(u.narrow(1, 0, g.Rank));
            if (g.RightProjectorCols > 0) RightOf(fresh).copy_(vh.narrow(0, 0, g.Rank));
            fresh.DetachFromDisposeScope();
        }
        Adopt(fresh);
        RefreshCount++;
    }

    /// <summary>
    /// APOLLO's refresh (<c>GradientProjector.get_orthogonal_matrix</c>): P (m × r, left) or Q (r × n, right) =
    /// <c>randn(shape, generator seeded with Seed, float32) / √r</c>, stored in the projector's dtype; then the seed advances
    /// as <c>next_seed</c> does — the last of 15 <c>randint(0, int64 max)</c> draws of a CPU generator seeded with it. Alive
    /// at once: the float32 draw and the new buffer (and the old buffer until it is replaced).
    /// </summary>
    void Regenerate(Device device)
    {
        var g = Geometry;
        Tensor fresh;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            long[] shape = g.LeftProjectorRows > 0 ? [Rows, g.Rank] : [g.Rank, Cols];
            using var generator = new Generator(unchecked((ulong)Seed), device);
            var draw = randn(shape, ScalarType.Float32, device, generator: generator).div_(Math.Sqrt(g.Rank));
            fresh = empty([g.ProjectorElements], DType, device);
            (g.LeftProjectorRows > 0 ? LeftOf(fresh) : RightOf(fresh)).copy_(draw);
            fresh.DetachFromDisposeScope();
        }
        Adopt(fresh);
        Seed = NextSeed(Seed);
        RefreshCount++;
    }

    /// <summary><c>apollo_torch.random_projector.next_seed</c>: the 15th of <c>randint(0, 2⁶³ − 1)</c> draws of a CPU
    /// generator seeded with <paramref name="seed"/>.</summary>
    internal static long NextSeed(long seed)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(unchecked((ulong)seed));
        var draws = randint(0, long.MaxValue, [0xF], ScalarType.Int64, generator: generator);
        return draws[^1].item<long>();
    }

    /// <summary>Takes ownership of a projector buffer (from a refresh or a loaded state); disposes the old one.</summary>
    public void Adopt(Tensor buffer)
    {
        if (buffer.dim() != 1 || buffer.shape[0] != Geometry.ProjectorElements || buffer.dtype != DType)
            throw new ArgumentException($"projector buffer must be 1-D {DType} of {Geometry.ProjectorElements} elements, " +
                                        $"got {buffer.dtype} [{string.Join(", ", buffer.shape)}]");
        var old = state;
        state = buffer;
        if (!ReferenceEquals(old, buffer)) old?.Dispose();
    }

    /// <summary>R = the projected gradient, a new tensor in <paramref name="grad"/>'s dtype
    /// (the projector is cast to it first when the two differ).</summary>
    public Tensor Project(Tensor grad)
    {
        CheckShape(grad);
        var s = Require();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var buffer = s.dtype == grad.dtype ? s : s.to(grad.dtype);
        var r = Geometry.Side switch
        {
            ProjectionSide.Left => LeftOf(buffer).t().mm(grad),                        // (r, n)
            ProjectionSide.Right => grad.mm(RightOf(buffer).t()),                      // (m, r)
            _ => LeftOf(buffer).t().mm(grad.mm(RightOf(buffer).t())),                  // (r, r) via (m, r)
        };
        return r.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// W += alpha · scale · back(N), in place with <c>addmm_</c>, so no full-size update tensor exists. N (the
    /// low-rank update) and the projector are cast to W's dtype first when they differ; <c>full</c> needs one
    /// m × r temporary P·N.
    /// </summary>
    public void ProjectBackInto(Tensor weight, Tensor lowRank, double alpha)
    {
        if (weight.dim() != 2 || weight.shape[0] != Rows || weight.shape[1] != Cols)
            throw new ArgumentException($"weight must be {Rows}×{Cols}, got [{string.Join(", ", weight.shape)}]", nameof(weight));
        if (lowRank.dim() != 2 || lowRank.shape[0] != Geometry.LowRankRows || lowRank.shape[1] != Geometry.LowRankCols)
            throw new ArgumentException($"low-rank update must be {Geometry.LowRankRows}×{Geometry.LowRankCols}, got [{string.Join(", ", lowRank.shape)}]");
        var s = Require();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var n = lowRank.dtype == weight.dtype ? lowRank : lowRank.to(weight.dtype);
        var buffer = s.dtype == weight.dtype ? s : s.to(weight.dtype);
        float a = (float)(alpha * Settings.Scale);
        switch (Geometry.Side)
        {
            case ProjectionSide.Left: weight.addmm_(LeftOf(buffer), n, 1, a); break;          // (m, r)·(r, n)
            case ProjectionSide.Right: weight.addmm_(n, RightOf(buffer), 1, a); break;        // (m, r)·(r, n)
            default: weight.addmm_(LeftOf(buffer).mm(n), RightOf(buffer), 1, a); break;       // ((m, r)·(r, r))·(r, n)
        }
    }

    /// <summary>P (m × r), a view of the buffer, or null when this orientation has no left projector.</summary>
    public Tensor? Left => Geometry.LeftProjectorRows > 0 && state is not null ? LeftOf(state) : null;

    /// <summary>Q (r × n), a view of the buffer, or null when this orientation has no right projector.</summary>
    public Tensor? Right => Geometry.RightProjectorCols > 0 && state is not null ? RightOf(state) : null;

    Tensor LeftOf(Tensor buffer) => buffer.narrow(0, 0, Rows * Geometry.Rank).view(Rows, Geometry.Rank);

    Tensor RightOf(Tensor buffer) =>
        buffer.narrow(0, Geometry.LeftProjectorRows * Geometry.Rank, Geometry.Rank * Cols).view(Geometry.Rank, Cols);

    Tensor Require() => state ?? throw new InvalidOperationException("the projector has not been computed yet (call RefreshIfDue first)");

    void CheckShape(Tensor grad)
    {
        if (grad.dim() != 2 || grad.shape[0] != Rows || grad.shape[1] != Cols)
            throw new ArgumentException($"gradient must be {Rows}×{Cols}, got [{string.Join(", ", grad.shape)}]", nameof(grad));
    }

    /// <summary>Disposes the projector buffer.</summary>
    public void Dispose()
    {
        state?.Dispose();
        state = null;
    }
}
