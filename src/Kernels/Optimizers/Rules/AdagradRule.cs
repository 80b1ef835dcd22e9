using static TorchSharp.torch;

namespace GaLore.Kernels.Optimizers.Rules;

/// <summary><c>torch.optim.Adagrad</c>'s single-tensor step: g ← g + wd·W; sum += g²; W −= clr·g/(√sum + ε) with
/// clr = lr/(1 + (t − 1)·lr_decay).</summary>
internal sealed class AdagradRule : IUpdateRule<AdagradOptions>
{
    public static readonly AdagradRule Instance = new();

    public ScalarType ComputeType(ScalarType gradType) => gradType;

    public bool DecoupledWeightDecay => false;

    public void Apply(ParameterState state, Tensor grad, UpdateSink sink, AdagradOptions o, double lr)
    {
        double wd = o.weight_decay!.Value;
        double init = o.initial_accumulator_value!.Value;
        var sum = state.GetOrCreate("sum", () => full_like(grad, init));
        using var g = wd == 0 ? grad.alias() : grad.add(state.Parameter, wd);
        double clr = lr / (1 + (state.Step - 1) * o.lr_decay!.Value);
        sum.addcmul_(g, g, 1);
        using var std = sum.sqrt().add_(o.eps!.Value);
        sink.AddRatio(g, std, -clr);
    }
}
