namespace GaLore.Planner.Optimizers;

/// <summary>How an optimizer name treats the target modules' 2-D weights.</summary>
public enum LowRankMethod
{
    /// <summary>Every parameter gets the family's full-size states.</summary>
    None,
    /// <summary>GaLore (Zhao et al. 2024, arXiv 2403.03507): project the gradient onto the top-r singular subspace, run the
    /// base optimizer there, project the update back.</summary>
    GaLore,
    /// <summary>APOLLO (Zhu et al. 2024, arXiv 2412.05270): keep AdamW moments of a randomly projected gradient only to
    /// estimate a channel- or tensor-wise scale, and apply that scale to the full gradient.</summary>
    Apollo,
}

/// <summary>The libraries the low-rank methods come from.</summary>
public static class LowRankMethods
{
    /// <summary>The Python package that implements <paramref name="method"/> (galore-torch, apollo-torch); null for none.</summary>
    public static string? Library(this LowRankMethod method) => method switch
    {
        LowRankMethod.None => null,
        LowRankMethod.GaLore => "galore-torch",
        LowRankMethod.Apollo => "apollo-torch",
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "unknown low-rank method"),
    };
}

/// <summary>How a projector is recomputed every <c>update_proj_gap</c> steps.</summary>
public enum ProjectionRefresh
{
    /// <summary><c>torch.linalg.svd</c> of a float32 copy of the gradient (galore-torch, APOLLO with <c>proj=svd</c>).</summary>
    Svd,
    /// <summary>A Gaussian matrix N(0, 1/r) drawn from a per-parameter seed that advances at every refresh
    /// (<c>apollo_torch.random_projector</c>): no factorization, no workspace.</summary>
    Gaussian,
}
