using GaLore.Kernels.Projection;
using static TorchSharp.torch;

namespace GaLore.Profiler.Tuning;

/// <summary>
/// How close two projectors' subspaces are: for orthonormal bases A and B of r columns, ‖AᵀB‖²_F / r is the mean of
/// cos²θᵢ over the principal angles θᵢ between the subspaces (Björck &amp; Golub 1973; Golub &amp; Van Loan, Matrix Computations, "angles between subspaces"):
/// 1 for the same subspace, r/n on average for random ones.
/// </summary>
public static class SubspaceAgreement
{
    /// <summary>Agreement of <paramref name="candidate"/> (rank r) with the first r vectors of <paramref name="reference"/>
    /// (rank ≥ r, same shape and orientation); averaged over both sides for <c>full</c>.</summary>
    public static double Of(GaLoreProjector reference, GaLoreProjector candidate, long r)
    {
        using var scope = NewDisposeScope();
        var sides = new List<double>();
        if (reference.Left is { } p && candidate.Left is { } pc) sides.Add(Overlap(p.narrow(1, 0, r), pc));                 // (m, r) each
        if (reference.Right is { } q && candidate.Right is { } qc) sides.Add(Overlap(q.narrow(0, 0, r).t(), qc.t()));      // (n, r) each
        if (sides.Count == 0) throw new ArgumentException("projectors have no common side (not refreshed, or different orientations)");
        return sides.Average();
    }

    /// <summary>‖AᵀB‖²_F / r for two (·, r) bases, in float64.</summary>
    public static double Overlap(Tensor a, Tensor b) =>
        a.to(ScalarType.Float64).t().mm(b.to(ScalarType.Float64)).square().sum().item<double>() / a.shape[1];
}
