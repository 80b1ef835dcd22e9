using static TorchSharp.torch;

namespace GaLore.Kernels.Optimizers.Rules;

/// <summary>
/// Adafactor (Shazeer &amp; Stern 2018, arXiv 1804.04235; <c>transformers.Adafactor</c> with
/// <c>relative_step=False</c>): the gradient is upcast to float32; β2(t) = 1 − t^c; for ≥2-D tensors the second
/// moment is factored into a row and a column vector, for vectors it is kept whole; the update
/// G/√V̂ is clipped to RMS ≤ d (update clipping), multiplied by the learning rate, and averaged with β1 when a first moment is
/// kept. States are float32. Transients: the float32 gradient copy (when the gradient is not float32) and one
/// update-sized float32 tensor at a time (G²+ε1, then the update).
/// </summary>
internal sealed class AdafactorRule : IUpdateRule<AdafactorOptions>
{
    public static readonly AdafactorRule Instance = new();

    public ScalarType ComputeType(ScalarType gradType) => ScalarType.Float32;

    /// <summary>lr, times max(ε2, RMS(W)) when <c>scale_parameter</c> is on (the paper's relative step-size scaling).</summary>
    public double LearningRate(Tensor weight, AdafactorOptions o)
    {
        double lr = o.LearningRate!.Value;
        if (!o.scale_parameter!.Value) return lr;
        using var norm = weight.norm();
        using var norm64 = norm.to(ScalarType.Float64);
        double rms = norm64.item<double>() / Math.Sqrt(weight.numel());
        return lr * Math.Max(o.eps2!.Value, rms);
    }

    public void Apply(ParameterState state, Tensor grad, UpdateSink sink, AdafactorOptions o, double lr)
    {
        double beta2t = 1 - Math.Pow(state.Step, o.decay_rate!.Value);
        var m = o.HasFirstMoment ? state.GetOrCreate("exp_avg", () => zeros(grad.shape, ScalarType.Float32, grad.device)) : null;
        Tensor update;
        using (var g = grad.to(ScalarType.Float32))        // a copy only when the gradient is not float32
        {
            if (g.dim() >= 2)
            {
                // transformers.Adafactor: row = zeros(shape[:-1]), col = zeros(shape[:-2] + shape[-1:]) (one pair per
                // leading index of a 3-D tensor, e.g. each expert of a stacked gate_up_proj).
                long[] rowShape = g.shape[..^1], colShape = [.. g.shape[..^2], g.shape[^1]];
                var row = state.GetOrCreate("exp_avg_sq_row", () => zeros(rowShape, ScalarType.Float32, g.device));
                var col = state.GetOrCreate("exp_avg_sq_col", () => zeros(colShape, ScalarType.Float32, g.device));
                using (var sq = g.square().add_(o.eps1!.Value))
                {
                    using var rowMean = sq.mean([-1]);
                    using var colMean = sq.mean([-2]);
                    row.mul_(beta2t).add_(rowMean, 1 - beta2t);
                    col.mul_(beta2t).add_(colMean, 1 - beta2t);
                }
                // V̂ = row·colᵀ / mean(row), so 1/√V̂ = rsqrt(row / mean(row)) ⊗ rsqrt(col)
                using var rowMeanAll = row.mean([-1], keepdim: true);
                using var rFactor = (row / rowMeanAll).rsqrt_().unsqueeze(-1);
                using var cFactor = col.rsqrt().unsqueeze(-2);
                update = mul(rFactor, cFactor).mul_(g);
            }
            else
            {
                var v = state.GetOrCreate("exp_avg_sq", () => zeros_like(g));
                using (var sq = g.square().add_(o.eps1!.Value)) v.mul_(beta2t).add_(sq, 1 - beta2t);
                update = v.rsqrt().mul_(g);
            }
        }
        using (update)
        {
            using var rms = update.norm().div_(Math.Sqrt(update.numel()));
            using var clip = rms.div_(o.clip_threshold!.Value).clamp_min_(1.0);
            update.div_(clip).mul_(lr);
            if (m is not null)
            {
                double b1 = o.beta1!.Value;
                m.mul_(b1).add_(update, 1 - b1);
                sink.Add(m, -1.0);
            }
            else sink.Add(update, -1.0);
        }
    }
}
