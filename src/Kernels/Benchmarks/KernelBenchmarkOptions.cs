namespace GaLore.Kernels.Benchmarks;

/// <summary>What <see cref="KernelBenchmark.Run"/> measures. Defaults: one Llama-7B MLP weight (4096 × 11008, the
/// shape of <c>up_proj</c>/<c>gate_proj</c> transposed) at GaLore's rank 128, float32, median of 5 runs after 1 warm-up.</summary>
/// <param name="Rows">Weight rows m.</param>
/// <param name="Cols">Weight columns n.</param>
/// <param name="Rank">GaLore rank r.</param>
/// <param name="BFloat16">Weight, gradient and AdamW states in bf16 instead of float32.</param>
/// <param name="Warmup">Untimed runs before the timed ones.</param>
/// <param name="Runs">Timed runs; the median is reported.</param>
/// <param name="Seed">Seed of the synthetic gradient and of the randomized refresh.</param>
public sealed record KernelBenchmarkOptions(long Rows = 4096, long Cols = 11008, int Rank = 128, bool BFloat16 = false,
    int Warmup = 1, int Runs = 5, long Seed = 0)
{
    /// <summary>A small shape (512 × 1376, rank 32, 3 runs) that finishes in about a second, for tests and smoke checks.</summary>
    public static KernelBenchmarkOptions Quick => new(Rows: 512, Cols: 1376, Rank: 32, Warmup: 1, Runs: 3);

    /// <summary>Rejects shapes, ranks and run counts that cannot be measured.</summary>
    public KernelBenchmarkOptions Validate()
    {
        if (Rows <= 0 || Cols <= 0) throw new ArgumentOutOfRangeException(nameof(Rows), "the weight shape must be positive");
        if (Rank <= 0 || Rank > Math.Min(Rows, Cols)) throw new ArgumentOutOfRangeException(nameof(Rank), Rank, $"rank must be in 1..{Math.Min(Rows, Cols)}");
        if (Warmup < 0 || Runs <= 0) throw new ArgumentOutOfRangeException(nameof(Runs), "need Warmup ≥ 0 and Runs ≥ 1");
        return this;
    }
}

/// <summary>Kernel timings on the CPU (milliseconds, medians) and the derived ratios.</summary>
/// <param name="Options">What was measured.</param>
/// <param name="Threads">libtorch intra-op threads used.</param>
/// <param name="AdamWStepMs">Plain AdamW step on the weight.</param>
/// <param name="GaLoreAdamWStepMs">GaLore-AdamW step without a refresh: project, Adam on R, <c>addmm_</c> back.</param>
/// <param name="GaLoreToAdamW">GaLoreAdamWStepMs / AdamWStepMs.</param>
/// <param name="AdamW8bitStepMs">Plain 8-bit AdamW step (chunked dequantize–update–quantize).</param>
/// <param name="EightBitTo32Bit">AdamW8bitStepMs / AdamWStepMs.</param>
/// <param name="SvdRefreshMs">Projector refresh by <c>linalg.svd</c> of the float32 gradient.</param>
/// <param name="RandomizedRefreshMs">Projector refresh by the randomized range finder (p = 8, q = 2).</param>
/// <param name="SvdToRandomized">SvdRefreshMs / RandomizedRefreshMs (how many times faster the range finder is).</param>
/// <param name="SubspaceAgreement">‖P_randᵀ·P_svd‖_F² / r (the mean squared cosine of the principal angles, 1 = same subspace).</param>
/// <param name="ApolloStepMs">APOLLO step (channel-wise scaling at the benchmark's rank) without a refresh.</param>
/// <param name="ApolloToAdamW">ApolloStepMs / AdamWStepMs.</param>
/// <param name="ApolloMiniStepMs">APOLLO-Mini step (rank 1, tensor-wise scaling) without a refresh.</param>
/// <param name="ApolloMiniToAdamW">ApolloMiniStepMs / AdamWStepMs.</param>
/// <param name="GaussianRefreshMs">APOLLO's refresh: the Gaussian projector regenerated from its seed (no SVD).</param>
/// <param name="SvdToGaussian">SvdRefreshMs / GaussianRefreshMs.</param>
/// <param name="Gradient">How the synthetic gradient was made.</param>
public sealed record KernelBenchmarkResult(KernelBenchmarkOptions Options, int Threads,
    double AdamWStepMs, double GaLoreAdamWStepMs, double GaLoreToAdamW,
    double AdamW8bitStepMs, double EightBitTo32Bit,
    double SvdRefreshMs, double RandomizedRefreshMs, double SvdToRandomized, double SubspaceAgreement,
    double ApolloStepMs, double ApolloToAdamW, double ApolloMiniStepMs, double ApolloMiniToAdamW,
    double GaussianRefreshMs, double SvdToGaussian,
    string Gradient);
