using GaLore.Kernels.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Profiler.Tuning;

/// <summary>
/// A gradient-like test matrix for timing projector refreshes: low rank plus noise, seeded. Gradients of transformer
/// weights are dominated by a few directions with a decaying spectrum and a full-rank small remainder (the premise of
/// GaLore, Zhao et al. 2024, arXiv 2403.03507: gradients become low rank during training), so
/// G = U·diag(σ)·Vᵀ + E with k = min(m, n, 1024) orthonormal directions (QR of seeded Gaussian matrices),
/// σᵢ = exp(−16 i / min(m, n)) (σ₁ = 1: the spectrum falls by e every 1/16 of the smaller side, so the same rank
/// <i>fraction</i> keeps the same share of it on every shape), and i.i.d. Gaussian noise E of standard deviation
/// 0.01 / √max(m, n), whose spectral norm is about 0.01 · (1 + √(min/max)) — 1–2 % of σ₁. The full SVD's cost does not
/// depend on the values; the randomized range finder's accuracy does, which is why the spectrum is made to decay.
/// </summary>
public static class SyntheticGradient
{
    /// <summary>Most signal directions.</summary>
    public const long MaxDirections = 1024;

    /// <summary>The singular values fall by e every (smaller side / this) directions.</summary>
    public const double DecayPerSide = 16;

    /// <summary>A float32 m × n matrix on <paramref name="device"/>, in the caller's dispose scope.</summary>
    public static Tensor Create(long rows, long cols, long seed, Device? device = null)
    {
        TorchNativeLoader.EnsureLoaded();
        if (rows <= 0 || cols <= 0) throw new ArgumentOutOfRangeException(nameof(rows), "shape must be positive");
        long k = Math.Min(Math.Min(rows, cols), MaxDirections);
        using var scope = NewDisposeScope();
        using var generator = new Generator(unchecked((ulong)seed));
        var u = linalg.qr(randn([rows, k], generator: generator)).Q;                       // (m, k), orthonormal columns
        var v = linalg.qr(randn([cols, k], generator: generator)).Q;                       // (n, k)
        double decay = Math.Max(1.0, Math.Min(rows, cols) / DecayPerSide);
        var sigma = arange(k, ScalarType.Float32).div_(-decay).exp_();                    // (k)
        var g = u.mul_(sigma).mm(v.t());                                                   // (m, n)
        g.add_(randn([rows, cols], generator: generator).mul_(0.01 / Math.Sqrt(Math.Max(rows, cols))));
        return (device is null ? g : g.to(device)).MoveToOuterDisposeScope();
    }

    /// <summary>How the matrix is made, for reports.</summary>
    public const string Description =
        "low rank plus noise, seeded: min(m, n, 1024) orthonormal directions with σ_i = exp(−16·i/min(m, n)), plus Gaussian noise of spectral norm ≈ 1–2 % of σ_1";
}
