using GaLore.Planner.Runtime;
using static TorchSharp.torch;

namespace GaLore.Kernels.Optimizers.Rules;

/// <summary>
/// Lion with a float32 momentum (bitsandbytes' <c>Optimizer1State</c> "lion" at 32 bits), worked through the flat tensors
/// in chunks of <see cref="ChunkBudget.Elements"/> so only one chunk's float32 gradient and update exist at a time (the
/// fused CUDA kernel keeps them in registers). Per chunk: g (float32, a view when the gradient is float32),
/// u = sign(β1·m + (1 − β1)·g), W += −lr·u, m ← β2·m + (1 − β2)·g.
/// </summary>
internal sealed class LionRule : IUpdateRule<LionOptions>
{
    public static readonly LionRule Instance = new();

    public ScalarType ComputeType(ScalarType gradType) => ScalarType.Float32;

    public void Apply(ParameterState state, Tensor grad, UpdateSink sink, LionOptions o, double lr)
    {
        long n = grad.numel();
        double b1 = o.beta1!.Value, b2 = o.beta2!.Value;
        var m = state.GetOrCreate("state1", () => zeros([n], ScalarType.Float32, grad.device));
        using var flat = grad.reshape(-1);
        long chunk = ChunkBudget.Of(n);
        for (long offset = 0; offset < n; offset += chunk)
        {
            using var scope = NewDisposeScope();
            long length = Math.Min(chunk, n - offset);
            var g = flat.narrow(0, offset, length).to(ScalarType.Float32);
            var mc = m.narrow(0, offset, length);
            using (var u = mc.mul(b1).add_(g, 1 - b1).sign_())
            using (NewDisposeScope())
                sink.Add(u, -lr, offset);
            mc.mul_(b2).add_(g, 1 - b2);
        }
    }
}
