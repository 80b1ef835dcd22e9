namespace GaLore.Planner.Runtime;

/// <summary>
/// Memory a projection refresh needs: GaLore takes <c>torch.linalg.svd(G.float(), full_matrices=False)</c>
/// (arXiv 2403.03507 Alg. 2; <c>GaLoreProjector.get_orthogonal_matrix</c>).
/// </summary>
public static class SvdWorkspace
{
    /// <summary>
    /// Bytes alive while the SVD of an m×n float32 matrix runs, the float32 input itself excluded.
    /// libtorch hands LAPACK <c>sgesdd</c> (JOBZ='S') a column-major copy of the input (it is overwritten),
    /// allocates U (m×k), S (k) and Vᴴ (k×n) with k = min(m, n), plus the work arrays whose size LAPACK
    /// documents as LWORK ≥ 4k² + 7k floats and IWORK = 8k integers (LAPACK Users' Guide, xGESDD).
    /// On CUDA the same outputs and copy are allocated; cuSOLVER's workspace is modelled with the same
    /// formula until GPU measurements say otherwise.
    /// </summary>
    public static long Bytes(long m, long n)
    {
        long k = Math.Min(m, n);
        long copy = m * n * 4;
        long outputs = (m * k + k + k * n) * 4;
        long work = (4 * k * k + 7 * k) * 4 + 8 * k * 4;
        return copy + outputs + work;
    }
}
