using GaLore.Kernels.Native;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models;
using GaLore.Profiler.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Profiler.Measurement;

/// <summary>
/// Runs every kind of work a profile does once, on tiny tensors, before the baseline is taken, so that one-time
/// allocations of the runtime (JIT-compiled .NET code, libtorch's lazily created thread pools, kernel tables,
/// LAPACK/oneDNN scratch) count in the baseline and not in the measured peak.
/// </summary>
public static class RuntimeWarmup
{
    /// <summary>Float and bfloat16 matmuls, an SVD, SDPA and math attention forward and backward, then one
    /// training step of a two-layer toy model built with <paramref name="options"/> (checkpointing included).</summary>
    public static void Run(ModelOptions options)
    {
        TorchNativeLoader.EnsureLoaded();
        var device = torch.device(options.Device);
        using (var scope = torch.NewDisposeScope())
        using (var g = new Generator(1))
        {
            var a = torch.randn([64, 64], generator: g).to(device);
            a.matmul(a).sum().item<float>();
            var b16 = a.to(ScalarType.BFloat16);
            b16.matmul(b16).sum().to(ScalarType.Float32).item<float>();
            var (u, s, vh) = torch.linalg.svd(a.to(ScalarType.Float32), fullMatrices: false);
            s.sum().item<float>();
            var q = torch.randn([2, 4, 16, 8], generator: g).to(device).requires_grad_(true);
            nn.functional.scaled_dot_product_attention(q, q, q, is_casual: true).sum().backward();
            var qb = torch.randn([2, 4, 16, 8], generator: g).to(ScalarType.BFloat16).to(device).requires_grad_(true);
            nn.functional.scaled_dot_product_attention(qb, qb, qb, is_casual: true).sum().backward();
        }
        var toy = ModelConfig.Llama("warmup", 64, 32, 48, 2, 4, kvHeads: 2);
        foreach (var attention in new[] { AttentionKind.Sdpa, AttentionKind.Math })
        {
            using var model = CausalLm.Create(toy, options with { Attention = attention, Seed = 1 });
            using var scope = torch.NewDisposeScope();
            using var g = new Generator(2);
            var ids = torch.randint(0, toy.VocabSize, [2, 8], ScalarType.Int64, generator: g);
            var loss = model.forward(ids, CausalLm.ShiftedTargets(ids));
            loss.backward();
            model.AfterBackward();
            loss.item<float>();
            model.ZeroGradToNone();
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
