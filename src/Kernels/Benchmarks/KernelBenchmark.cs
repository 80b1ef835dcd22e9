using System.Diagnostics;
using GaLore.Kernels.Native;
using GaLore.Kernels.Optimizers;
using GaLore.Kernels.Projection;
using GaLore.Planner.Optimizers;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace GaLore.Kernels.Benchmarks;

/// <summary>
/// CPU micro-benchmark of the kernels on one weight, all in one run: (a) GaLore-AdamW, APOLLO (channel-wise, GaLore's
/// rank) and APOLLO-Mini (rank 1, tensor-wise) vs AdamW step time on a step without refresh, (b) 8-bit vs 32-bit AdamW step
/// time, (c) SVD vs randomized refresh time and how well the two subspaces agree, and APOLLO's refresh — a Gaussian matrix
/// regenerated from its seed, no SVD. Every figure is the median of <see cref="KernelBenchmarkOptions.Runs"/> timed runs after
/// <see cref="KernelBenchmarkOptions.Warmup"/> untimed ones. The gradient is synthetic but gradient-like (low rank
/// plus noise, seeded): G = U·diag(σ)·Vᵀ + noise with 4r directions, σᵢ = e^(−i/r), and Gaussian noise whose spectral
/// norm is about 1–2 % of σ₁.
/// </summary>
public static class KernelBenchmark
{
    /// <summary>Runs the benchmark. Memory: about 6 weight-sized tensors at a time (weight, gradient, AdamW states, SVD).</summary>
    public static KernelBenchmarkResult Run(KernelBenchmarkOptions options)
    {
        TorchNativeLoader.EnsureLoaded();
        var o = (options ?? throw new ArgumentNullException(nameof(options))).Validate();
        var dtype = o.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32;
        using var scope = NewDisposeScope();
        var grad32 = SyntheticGradient(o.Rows, o.Cols, 4L * o.Rank, o.Rank, o.Seed);
        var grad = grad32.to(dtype);

        double adamw = StepMedian(o, grad, p => new AdamW([p]));
        double galore = StepMedian(o, grad, p => new GaLoreAdamW([], [p], new GaLoreSettings(o.Rank, int.MaxValue, 0.25, ProjectionType.Std)));
        double eightBit = StepMedian(o, grad, p => new AdamW8bit([p]));
        double apollo = StepMedian(o, grad, p => new ApolloAdamW([], [p], new GaLoreSettings(o.Rank, int.MaxValue, 1.0, ProjectionType.Std)));
        double apolloMini = StepMedian(o, grad, p => new ApolloAdamW([], [p], new GaLoreSettings(1, int.MaxValue, 128, ProjectionType.Std), tensorScaling: true));

        var settings = new GaLoreSettings(o.Rank, 1, 0.25, ProjectionType.Std);
        using var exact = new GaLoreProjector(o.Rows, o.Cols, settings, dtype);
        using var fast = new GaLoreProjector(o.Rows, o.Cols, settings, dtype, SubspaceRefresh.Randomized with { Seed = o.Seed });
        double svd = Median(o, step => exact.Recompute(grad, step));
        double randomized = Median(o, step => fast.Recompute(grad, step));
        using var gaussian = new GaLoreProjector(o.Rows, o.Cols, settings, dtype, SubspaceRefresh.Gaussian, seed: 1);
        double gaussianMs = Median(o, step => gaussian.Recompute(grad, step));

        return new KernelBenchmarkResult(o, get_num_threads(), adamw, galore, galore / adamw, eightBit, eightBit / adamw,
            svd, randomized, svd / randomized, Agreement(exact, fast),
            apollo, apollo / adamw, apolloMini, apolloMini / adamw, gaussianMs, svd / gaussianMs,
            $"low rank + noise: {4 * o.Rank} directions, σ_i = exp(-i/{o.Rank}), noise spectral norm ≈ 1-2% of σ_1, seed {o.Seed}");
    }

    /// <summary>Median step time of an optimizer over one weight whose gradient stays set; the first (projector-building)
    /// step is not timed.</summary>
    static double StepMedian(KernelBenchmarkOptions o, Tensor grad, Func<Parameter, ProjectedOptimizer> create)
    {
        using var scope = NewDisposeScope();
        var weight = new Parameter(zeros(grad.shape, grad.dtype), requires_grad: true);
        weight.grad = grad;
        using var optimizer = create(weight);
        using (var first = optimizer.step()) { }
        return Median(o, _ =>
        {
            using var loss = optimizer.step();
        });
    }

    static double Median(KernelBenchmarkOptions o, Action<long> run)
    {
        for (int i = 0; i < o.Warmup; i++) run(i);
        var times = new double[o.Runs];
        for (int i = 0; i < o.Runs; i++)
        {
            var clock = Stopwatch.StartNew();
            run(o.Warmup + i);
            times[i] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return o.Runs % 2 == 1 ? times[o.Runs / 2] : (times[o.Runs / 2 - 1] + times[o.Runs / 2]) / 2;
    }

    /// <summary>‖AᵀB‖_F² / r over each side the projectors have (averaged for <c>full</c>).</summary>
    static double Agreement(GaLoreProjector reference, GaLoreProjector candidate)
    {
        using var scope = NewDisposeScope();
        var sides = new List<double>();
        if (reference.Left is { } p) sides.Add(Overlap(p, candidate.Left!));
        if (reference.Right is { } q) sides.Add(Overlap(q.t(), candidate.Right!.t()));
        return sides.Average();

        static double Overlap(Tensor a, Tensor b) =>
            a.to(ScalarType.Float64).t().mm(b.to(ScalarType.Float64)).square().sum().item<double>() / a.shape[1];
    }

    /// <summary>U·diag(σ)·Vᵀ with k orthonormal directions and σᵢ = e^(−i/r) (σ₁ = 1), plus i.i.d. Gaussian noise of
    /// standard deviation 0.01/√max(m, n), whose spectral norm is about 0.01·(1 + √(min/max)).</summary>
    internal static Tensor SyntheticGradient(long rows, long cols, long k, long rank, long seed)
    {
        k = Math.Min(k, Math.Min(rows, cols));
        using var scope = NewDisposeScope();
        using var generator = new Generator(unchecked((ulong)seed));
        var u = linalg.qr(randn([rows, k], generator: generator)).Q;
        var v = linalg.qr(randn([cols, k], generator: generator)).Q;
        var sigma = arange(k, ScalarType.Float32).div_(-(double)rank).exp_();
        var g = u.mul_(sigma).mm(v.t());
        g.add_(randn([rows, cols], generator: generator).mul_(0.01 / Math.Sqrt(Math.Max(rows, cols))));
        return g.MoveToOuterDisposeScope();
    }
}
