namespace GaLore.Planner.Parallel;

/// <summary>
/// The ZeRO paper's per-GPU model-state memory (Rajbhandari et al. 2020, arXiv 1910.02054, §5 and Figure 1) for Ψ parameters
/// trained with mixed-precision Adam on N data-parallel GPUs: 2Ψ bytes of 16-bit weights, 2Ψ of 16-bit gradients and KΨ of
/// optimizer states (fp32 master weights, momentum and variance: K = 12). Baseline data parallelism keeps (2 + 2 + K)Ψ on
/// every GPU; P_os (stage 1) 2Ψ + 2Ψ + KΨ/N; P_os+g (stage 2) 2Ψ + (2 + K)Ψ/N; P_os+g+p (stage 3) (2 + 2 + K)Ψ/N. Figure 1:
/// Ψ = 7.5 B, N = 64, K = 12 → 120, 31.4, 16.6 and 1.9 GB. The planner's strategies reproduce these as their persistent
/// weights, kept gradients and optimizer states (<c>ParallelSummary.ModelStates</c>); activations, buckets and gathered
/// parameters come on top.
/// </summary>
public static class ZeroModelStates
{
    /// <summary>Adam's K: fp32 master weights, momentum and variance, 4 bytes each.</summary>
    public const double AdamK = 12;

    /// <summary>Baseline data parallelism: (2 + 2 + K)Ψ bytes per GPU.</summary>
    public static double Baseline(double psi, double k = AdamK) => (2 + 2 + k) * psi;

    /// <summary>ZeRO stage 1 (P_os): 2Ψ + 2Ψ + KΨ/N.</summary>
    public static double Stage1(double psi, int gpus, double k = AdamK) => 4 * psi + k * psi / gpus;

    /// <summary>ZeRO stage 2 (P_os+g): 2Ψ + (2 + K)Ψ/N.</summary>
    public static double Stage2(double psi, int gpus, double k = AdamK) => 2 * psi + (2 + k) * psi / gpus;

    /// <summary>ZeRO stage 3 (P_os+g+p): (2 + 2 + K)Ψ/N.</summary>
    public static double Stage3(double psi, int gpus, double k = AdamK) => (4 + k) * psi / gpus;
}
