using GaLore.Kernels.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GaLore.Kernels.Tests.Kernels;

/// <summary>
/// Loads TorchSharp, seeds it, uses one intra-op thread, and offers small tensor helpers. Subclasses join the
/// "torch" collection. One thread: these tensors are tiny, and on a busy 2-core machine libtorch's spinning thread
/// pool made the suite 30× slower.
/// </summary>
public abstract class TorchTestBase
{
    protected TorchTestBase()
    {
        TorchNativeLoader.EnsureLoaded();
        manual_seed(1234);
        if (get_num_threads() != 1) set_num_threads(1);
    }

    /// <summary>A seeded normal tensor.</summary>
    protected static Tensor Randn(long seed, ScalarType dtype, params long[] shape)
    {
        using var g = new Generator(unchecked((ulong)seed));
        using var t = randn(shape, ScalarType.Float32, generator: g);
        return t.to(dtype);
    }

    /// <summary>A parameter with seeded normal values (optionally scaled).</summary>
    protected static Parameter Param(long seed, ScalarType dtype, params long[] shape) =>
        new(Randn(seed, dtype, shape).mul_(0.5), requires_grad: true);

    /// <summary>A copy of a parameter (same values, its own storage).</summary>
    protected static Parameter Copy(Tensor p) => new(p.detach().clone(), requires_grad: true);

    /// <summary>Largest absolute difference as a double.</summary>
    protected static double MaxDiff(Tensor a, Tensor b)
    {
        using var d = (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max();
        return d.item<double>();
    }

    /// <summary>Largest absolute value as a double.</summary>
    protected static double MaxAbs(Tensor a)
    {
        using var d = a.to(ScalarType.Float64).abs().max();
        return d.item<double>();
    }

    /// <summary>Sets a parameter's gradient to a copy of <paramref name="g"/>.</summary>
    protected static void SetGrad(Parameter p, Tensor g)
    {
        using var detached = g.detach();
        using var copy = detached.to(p.dtype, copy: true);
        p.grad = copy;
    }
}
