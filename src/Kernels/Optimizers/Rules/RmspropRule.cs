using static TorchSharp.torch;

namespace GaLore.Kernels.Optimizers.Rules;

/// <summary><c>torch.optim.RMSprop</c>'s single-tensor step; the states are created together at the first update, in
/// torch's order (square_avg, momentum_buffer, grad_avg).</summary>
internal sealed class RmspropRule : IUpdateRule<RmspropOptions>
{
    public static readonly RmspropRule Instance = new();

    public ScalarType ComputeType(ScalarType gradType) => gradType;

    public bool DecoupledWeightDecay => false;

    public void Apply(ParameterState state, Tensor grad, UpdateSink sink, RmspropOptions o, double lr)
    {
        double a = o.alpha!.Value, mu = o.momentum!.Value, wd = o.weight_decay!.Value;
        bool centered = o.centered == 1;
        var square = state.GetOrCreate("square_avg", () => zeros_like(grad));
        var buffer = mu > 0 ? state.GetOrCreate("momentum_buffer", () => zeros_like(grad)) : null;
        var mean = centered ? state.GetOrCreate("grad_avg", () => zeros_like(grad)) : null;
        using var g = wd == 0 ? grad.alias() : grad.add(state.Parameter, wd);
        square.mul_(a).addcmul_(g, g, 1 - a);
        Tensor avg;
        if (mean is not null)
        {
            mean.lerp_(g, 1 - a);
            avg = square.addcmul(mean, mean, -1).sqrt_().add_(o.eps!.Value);
        }
        else avg = square.sqrt().add_(o.eps!.Value);
        using (avg)
        {
            if (buffer is null)
            {
                sink.AddRatio(g, avg, -lr);
                return;
            }
            buffer.mul_(mu).addcdiv_(g, avg);
        }
        sink.Add(buffer, -lr);
    }
}
