namespace GaLore.Kernels.Projection;

/// <summary>How a projector finds the top-r singular subspace of the gradient at a refresh.</summary>
public enum RefreshMethod
{
    /// <summary><c>torch.linalg.svd(G.float(), full_matrices=False)</c>, as the reference does (arXiv 2403.03507, Alg. 2).</summary>
    Svd,
    /// <summary>Randomized subspace iteration (Halko, Martinsson &amp; Tropp 2011, arXiv 0909.4061: Alg. 4.4, power
    /// iterations with a QR after every product, then the small SVD of Alg. 5.1).</summary>
    Randomized,
    /// <summary>APOLLO's random projection (Zhu et al. 2024, arXiv 2412.05270; <c>apollo_torch.random_projector</c>): a Gaussian
    /// N(0, 1/r) matrix drawn from a per-parameter seed that advances at every refresh; the gradient is not read.</summary>
    Gaussian,
}

/// <summary>
/// Refresh options. The randomized defaults follow Halko–Martinsson–Tropp's advice: oversampling p = 8
/// (they suggest 5–10) and q = 2 power iterations, which sharpen the subspace when the spectrum decays slowly.
/// </summary>
/// <param name="Method">SVD (default, the reference behaviour) or the randomized range finder.</param>
/// <param name="Oversampling">p: extra sketch columns beyond the rank (default 8).</param>
/// <param name="PowerIterations">q: passes of (G·Gᵀ) applied to the sketch, each followed by a QR (default 2).</param>
/// <param name="Seed">Seed of the Gaussian test matrix; each refresh draws from <c>Seed + step</c>, so runs and
/// reloads are reproducible (default 0).</param>
public sealed record SubspaceRefresh(RefreshMethod Method = RefreshMethod.Svd, int Oversampling = 8, int PowerIterations = 2, long Seed = 0)
{
    /// <summary>The reference behaviour: an exact SVD at every refresh.</summary>
    public static readonly SubspaceRefresh Svd = new();

    /// <summary>The randomized range finder with the defaults above.</summary>
    public static readonly SubspaceRefresh Randomized = new(RefreshMethod.Randomized);

    /// <summary>APOLLO's seeded Gaussian projection.</summary>
    public static readonly SubspaceRefresh Gaussian = new(RefreshMethod.Gaussian);

    /// <summary>Rejects negative oversampling or power iterations.</summary>
    public SubspaceRefresh Validate()
    {
        if (Oversampling < 0) throw new ArgumentOutOfRangeException(nameof(Oversampling), Oversampling, "oversampling must be ≥ 0");
        if (PowerIterations < 0) throw new ArgumentOutOfRangeException(nameof(PowerIterations), PowerIterations, "power iterations must be ≥ 0");
        return this;
    }
}
