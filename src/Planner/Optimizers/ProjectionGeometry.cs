namespace GaLore.Planner.Optimizers;

/// <summary>Which side of the gradient G (rows × cols) a GaLore projector multiplies.</summary>
public enum ProjectionSide
{
    /// <summary>R = Pᵀ·G with P (rows × r): R is r × cols.</summary>
    Left,
    /// <summary>R = G·Qᵀ with Q (r × cols): R is rows × r.</summary>
    Right,
    /// <summary>R = Pᵀ·G·Qᵀ: R is r × r.</summary>
    Both,
}

/// <summary>
/// The one place that decides a GaLore projection's orientation and shapes (Zhao et al. 2024,
/// arXiv 2403.03507, Algorithm 2 and §4: "P_t ∈ R^{m×r}"; reference <c>GaLoreProjector.project</c>).
/// The planner sizes states from it and the TorchSharp projector orients itself by it.
/// </summary>
/// <param name="Side">Which side(s) get a projector.</param>
/// <param name="Rank">Effective rank: the requested rank, never more than min(rows, cols)
/// (an SVD with <c>full_matrices=False</c> has only that many singular vectors).</param>
/// <param name="LowRankRows">Rows of the projected gradient R.</param>
/// <param name="LowRankCols">Columns of the projected gradient R.</param>
/// <param name="LeftProjectorRows">Rows of P (0 when there is no left projector); P is LeftProjectorRows × Rank.</param>
/// <param name="RightProjectorCols">Columns of Q (0 when there is no right projector); Q is Rank × RightProjectorCols.</param>
public readonly record struct ProjectionGeometry(
    ProjectionSide Side, long Rank, long LowRankRows, long LowRankCols, long LeftProjectorRows, long RightProjectorCols)
{
    /// <summary>Elements of the projected gradient (and of each optimizer state kept for it).</summary>
    public long LowRankElements => LowRankRows * LowRankCols;

    /// <summary>Elements of the projector matrices kept between refreshes.</summary>
    public long ProjectorElements => (LeftProjectorRows + RightProjectorCols) * Rank;

    /// <summary>Rows m of the projected gradient G.</summary>
    public long GradientRows => Side == ProjectionSide.Right ? LowRankRows : LeftProjectorRows;

    /// <summary>Columns n of the projected gradient G.</summary>
    public long GradientCols => Side == ProjectionSide.Left ? LowRankCols : RightProjectorCols;

    /// <summary>
    /// Elements of the SVD factors the projector is sliced from, <c>torch.linalg.svd(G, full_matrices=False)</c> with
    /// k = min(m, n): U (m × k) for a left projector, Vᴴ (k × n) for a right one, both for <c>full</c>. A projector kept as a
    /// slicing view (<c>U[:, :r]</c>, <c>Vh[:r, :]</c>) keeps these alive (galore-torch, see
    /// <see cref="Runtime.RuntimeProfile.ProjectorKeepsSvdFactor"/>).
    /// </summary>
    public long SvdFactorElements
    {
        get
        {
            long m = GradientRows, n = GradientCols, k = Math.Min(m, n);
            return (LeftProjectorRows > 0 ? m * k : 0) + (RightProjectorCols > 0 ? k * n : 0);
        }
    }

    /// <summary>Resolves the orientation for a rows × cols gradient.</summary>
    public static ProjectionGeometry For(long rows, long cols, long rank, ProjectionType type)
    {
        if (rows <= 0 || cols <= 0) throw new ArgumentOutOfRangeException(nameof(rows), "gradient shape must be positive");
        if (rank <= 0) throw new ArgumentOutOfRangeException(nameof(rank), "rank must be positive");
        long r = Math.Min(rank, Math.Min(rows, cols));
        bool tall = rows >= cols;
        var side = type switch
        {
            ProjectionType.Std => tall ? ProjectionSide.Right : ProjectionSide.Left,
            ProjectionType.ReverseStd => tall ? ProjectionSide.Left : ProjectionSide.Right,
            ProjectionType.Left => ProjectionSide.Left,
            ProjectionType.Right => ProjectionSide.Right,
            ProjectionType.Full => ProjectionSide.Both,
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown proj_type"),
        };
        return side switch
        {
            ProjectionSide.Left => new(side, r, r, cols, rows, 0),
            ProjectionSide.Right => new(side, r, rows, r, 0, cols),
            ProjectionSide.Both => new(side, r, r, r, rows, cols),
            _ => throw new ArgumentOutOfRangeException(nameof(type), side, "unknown projection side"),
        };
    }
}
