using GaLore.Kernels.Native;
using static TorchSharp.torch;

namespace GaLore.Kernels.Projection;

/// <summary>
/// Approximate top-r singular vectors of a float32 matrix A (m × n) by randomized subspace iteration
/// (Halko, Martinsson &amp; Tropp 2011, arXiv 0909.4061):
/// <list type="number">
/// <item>Alg. 4.4: Y = A·Ω with a seeded Gaussian Ω (n × l, l = r + p); Q = qr(Y); then q times
/// Q̃ = qr(Aᵀ·Q), Q = qr(A·Q̃). Re-orthonormalising after every product keeps the small singular
/// directions from being lost to rounding.</item>
/// <item>Alg. 5.1: B = Qᵀ·A (l × n), B = Û·Σ·Vᴴ by a small exact SVD; then U ≈ Q·Û and Vᴴ ≈ Vᴴ_B.</item>
/// </list>
/// Cost: (2q + 2) products with A of l columns, plus QRs of m × l and n × l matrices — O(mnl) instead of the
/// O(mn·min(m, n)) of a full SVD. The sketch width is capped at min(m, n).
/// </summary>
public static class RandomizedRangeFinder
{
    /// <summary>
    /// Returns the first <paramref name="rank"/> approximate left singular vectors (m × r, orthonormal columns)
    /// and right singular vectors (r × n, orthonormal rows) of <paramref name="a"/>, as new tensors.
    /// </summary>
    public static (Tensor U, Tensor Vh) TopSingularVectors(Tensor a, long rank, int oversampling, int powerIterations, long seed)
    {
        TorchNativeLoader.EnsureLoaded();
        if (a.dim() != 2 || a.dtype != ScalarType.Float32) throw new ArgumentException("expects a 2-D float32 matrix", nameof(a));
        long m = a.shape[0], n = a.shape[1];
        if (rank <= 0 || rank > Math.Min(m, n)) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be in 1..{Math.Min(m, n)}");
        long width = Math.Min(rank + oversampling, Math.Min(m, n));

        using var scope = NewDisposeScope();
        using var generator = new Generator(unchecked((ulong)seed), a.device);
        var omega = randn([n, width], ScalarType.Float32, a.device, generator: generator);   // (n, l)
        var q = Orthonormal(a.mm(omega));                                                    // (m, l)
        for (int i = 0; i < powerIterations; i++)
        {
            var qt = Orthonormal(a.t().mm(q));                                               // (n, l)
            q = Orthonormal(a.mm(qt));                                                       // (m, l)
        }
        var b = q.t().mm(a);                                                                 // (l, n)
        var (ub, _, vh) = linalg.svd(b, fullMatrices: false);                                // (l, l), (l), (l, n)
        var u = q.mm(ub.narrow(1, 0, rank));                                                 // (m, r)
        var vhr = vh.narrow(0, 0, rank).contiguous();                                        // (r, n)
        return (u.MoveToOuterDisposeScope(), vhr.MoveToOuterDisposeScope());
    }

    static Tensor Orthonormal(Tensor y) => linalg.qr(y).Q;
}
