using static TorchSharp.torch;

namespace GaLore.Kernels.Optimizers.Rules;

/// <summary>
/// <c>torch.optim.SGD</c>'s single-tensor step: g ← g + wd·W (L2); with momentum, b = clone(g) at the first step, then
/// b ← μ·b + (1 − dampening)·g, and the step is g + μ·b (Nesterov, one gradient-sized temporary) or b; W −= lr·step.
/// </summary>
internal sealed class SgdRule : IUpdateRule<SgdOptions>
{
    public static readonly SgdRule Instance = new();

    public ScalarType ComputeType(ScalarType gradType) => gradType;

    public bool DecoupledWeightDecay => false;

    public void Apply(ParameterState state, Tensor grad, UpdateSink sink, SgdOptions o, double lr)
    {
        double wd = o.weight_decay!.Value, mu = o.momentum!.Value;
        using var g = wd == 0 ? grad.alias() : grad.add(state.Parameter, wd);
        if (mu == 0)
        {
            sink.Add(g, -lr);
            return;
        }
        var existing = state.Find("momentum_buffer");
        var buffer = existing ?? state.GetOrCreate("momentum_buffer", () => g.clone());
        if (existing is not null) buffer.mul_(mu).add_(g, 1 - o.dampening!.Value);
        if (o.nesterov == 1)
        {
            using var step = g.add(buffer, mu);
            sink.Add(step, -lr);
        }
        else sink.Add(buffer, -lr);
    }
}
