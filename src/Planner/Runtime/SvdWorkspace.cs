namespace GaLore.Planner.Runtime;

/// <summary>
/// Memory a projection refresh needs: GaLore takes <c>torch.linalg.svd(G.float(), full_matrices=False)</c>
/// (arXiv 2403.03507 Alg. 2; <c>GaLoreProjector.get_orthogonal_matrix</c>).
/// </summary>
public static class SvdWorkspace
{
    /// <summary>
    /// Bytes alive while the SVD of an m×n float32 matrix runs on <paramref name="device"/>, the float32 input itself
    /// excluded: libtorch hands LAPACK <c>sgesdd</c> (JOBZ='S') a column-major copy of the input (it is overwritten),
    /// allocates U (m×k), S (k) and Vᴴ (k×n) with k = min(m, n), an integer workspace of 8k, and the float workspace
    /// <see cref="WorkFloats"/>.
    /// </summary>
    public static long Bytes(long m, long n, DeviceKind device)
    {
        long k = Math.Min(m, n);
        long copy = m * n * 4;
        long outputs = (m * k + k + k * n) * 4;
        long work = WorkFloats(m, n, device) * 4 + 8 * k * 4;
        return copy + outputs + work;
    }

    /// <summary>
    /// The float workspace. CPU (libtorch's MKL, which asks LAPACK for its preferred size): reference LAPACK 3.x
    /// <c>sgesdd.f</c> with JOBZ='S' needs the bidiagonal divide-and-conquer's 3k² + 4k (<c>BDSPAC</c>) plus 3k, and, on
    /// path 3 (m ≥ ⌊11k/6⌋: a QR first), the k×k triangle R beside it — 4k² + 7k; square and moderately tall matrices
    /// take path 5, 3k² + 7k. Measured with libtorch 2.10's MKL (peak resident bytes of one call, minus the copy and the
    /// outputs): 2.9k² for 512×512 and 1024×1024, 3.9k² for 1408×512 and 1024×384, 4.6k² for 4096×256 — and for wide
    /// matrices (m &lt; n), where reference LAPACK would take path 3t, only 2.1–3.0k² (512×1408, 256×4096, 384×1024), so wide
    /// matrices are counted as path 5. CUDA (cuSOLVER): the documented minimum 4k² + 7k until GPU measurements say otherwise.
    /// </summary>
    public static long WorkFloats(long m, long n, DeviceKind device)
    {
        long k = Math.Min(m, n);
        if (device == DeviceKind.Cuda) return 4 * k * k + 7 * k;
        bool qrFirst = m >= n && m >= 11 * k / 6;
        return (qrFirst ? 4 : 3) * k * k + 7 * k;
    }
}
