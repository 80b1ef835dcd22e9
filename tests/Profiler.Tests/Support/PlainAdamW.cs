using GaLore.Profiler.Model;
using GaLore.Profiler.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GaLore.Profiler.Tests.Support;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter 2019, arXiv 1711.05101) written the way the planner's <c>torchsharp</c> runtime
/// assumes: per parameter, moments in the gradient's dtype created at the first step, one temporary
/// (<c>denom</c>) per update, the step applied in place with <c>addcdiv_</c>. For profiler tests and
/// experiments only; the product's optimizers live in GaLore.Kernels.
/// </summary>
public sealed class PlainAdamW(IReadOnlyList<ModelParameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
    double eps = 1e-8, double weightDecay = 0.0) : ITrainingOptimizer, IDisposable
{
    readonly Dictionary<Parameter, (Tensor M, Tensor V)> state = new(ReferenceEqualityComparer.Instance);
    int steps;

    public void Step()
    {
        steps++;
        double bc1 = 1 - Math.Pow(beta1, steps), bc2 = 1 - Math.Pow(beta2, steps);
        using var noGrad = torch.no_grad();
        foreach (var p in parameters)
        {
            using var scope = torch.NewDisposeScope();
            var w = p.Tensor;
            var g = w.grad;
            if (g is null) continue;
            if (!state.TryGetValue(w, out var s))
                state[w] = s = (torch.zeros_like(g).DetachFromDisposeScope(), torch.zeros_like(g).DetachFromDisposeScope());
            s.M.mul_(beta1).add_(g, alpha: 1 - beta1);
            s.V.mul_(beta2).addcmul_(g, g, value: 1 - beta2);
            var denom = s.V.sqrt().div_(Math.Sqrt(bc2)).add_(eps);     // the one temporary
            if (weightDecay != 0) w.mul_(1 - lr * weightDecay);
            w.addcdiv_(s.M, denom, value: -lr / bc1);
        }
    }

    public void ZeroGrad()
    {
        foreach (var p in parameters) p.Tensor.grad = null;
    }

    public void Dispose()
    {
        foreach (var (m, v) in state.Values)
        {
            m.Dispose();
            v.Dispose();
        }
        state.Clear();
    }
}

/// <summary>Plain SGD (w ← w − lr·g, in place): no state, no temporaries. For tests.</summary>
public sealed class PlainSgd(IReadOnlyList<ModelParameter> parameters, double lr = 0.1) : ITrainingOptimizer
{
    public void Step()
    {
        using var noGrad = torch.no_grad();
        foreach (var p in parameters)
        {
            using var g = p.Tensor.grad;
            if (g is not null) p.Tensor.add_(g, alpha: -lr);
        }
    }

    public void ZeroGrad()
    {
        foreach (var p in parameters) p.Tensor.grad = null;
    }
}
