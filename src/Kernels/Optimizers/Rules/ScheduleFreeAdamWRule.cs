using static TorchSharp.torch;

namespace GaLore.Kernels.Optimizers.Rules;

/// <summary>
/// <c>AdamWScheduleFree.step</c>'s single-tensor path for one parameter (y is the weight itself): the only temporary is
/// <c>denom = exp_avg_sq.div(bias_correction2).sqrt_().add_(eps)</c>; the gradient is normalised in place, as the reference
/// does ("reuse grad buffer for memory efficiency").
/// </summary>
internal sealed class ScheduleFreeAdamWRule : IUpdateRule<ScheduleFreeOptions>
{
    public static readonly ScheduleFreeAdamWRule Instance = new();

    public ScalarType ComputeType(ScalarType gradType) => gradType;

    public bool DecoupledWeightDecay => false;

    public void Apply(ParameterState state, Tensor grad, UpdateSink sink, ScheduleFreeOptions o, double lr)
    {
        var y = state.Parameter;
        var z = state.GetOrCreate("z", () => y.detach().clone());
        var v = state.GetOrCreate("exp_avg_sq", () => zeros_like(y));
        long k = state.Step - 1;                                  // the reference's group["k"] before this step
        double b1 = o.beta1!.Value, b2 = o.beta2!.Value, warmup = o.warmup_steps!.Value;
        double sched = k < warmup ? (k + 1) / warmup : 1.0;
        double bc2 = 1 - Math.Pow(b2, k + 1);
        double lrNow = lr * sched;
        double lrMax = Math.Max(lrNow, state.Scalars.GetValueOrDefault("lr_max", -1.0));
        double weight = Math.Pow(k + 1, o.r!.Value) * Math.Pow(lrMax, o.weight_lr_power!.Value);
        double weightSum = state.Scalars.GetValueOrDefault("weight_sum", 0.0) + weight;
        state.Scalars["lr_max"] = lrMax;
        state.Scalars["weight_sum"] = weightSum;
        double ckp1 = weightSum == 0 ? 0 : weight / weightSum;

        v.mul_(b2).addcmul_(grad, grad, 1 - b2);
        using (var denom = v.div(bc2).sqrt_().add_(o.eps!.Value)) grad.div_(denom);
        double decay = o.weight_decay!.Value;
        if (decay != 0) grad.add_(y, decay);
        y.lerp_(z, ckp1);
        y.add_(grad, lrNow * (b1 * (1 - ckp1) - 1));
        z.add_(grad, -lrNow);
    }
}
