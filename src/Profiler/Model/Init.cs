using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model;

/// <summary>Seeded initialisation (HF's <c>_init_weights</c> for Llama: normal(0, initializer_range) matrices,
/// zero biases, unit norms).</summary>
internal static class Init
{
    /// <summary>A float32 normal(0, std) sample from <paramref name="g"/>, converted to <paramref name="dtype"/>.</summary>
    public static Tensor Normal(long[] shape, double std, ScalarType dtype, Device device, Generator g)
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.normal(0, std, shape, ScalarType.Float32, generator: g);
        return t.to(dtype, device).MoveToOuterDisposeScope();
    }
}
