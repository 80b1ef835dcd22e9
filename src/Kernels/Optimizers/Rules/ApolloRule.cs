using GaLore.Kernels.Projection;
using static TorchSharp.torch;

namespace GaLore.Kernels.Optimizers.Rules;

/// <summary>
/// <c>apollo_torch.AdamW.step</c> for one parameter, in the gradient's dtype (R's under projection). AdamW moments of g,
/// <c>denom = √v + ε</c>, step size lr·√(1 − β2ᵗ)/(1 − β1ᵗ) (transformers' bias correction). Without projection: W −= step·m/denom.
/// With it (an <see cref="ApolloSink"/>), N = m/denom (in place) only sets the scale of the full gradient G:
/// <list type="bullet">
/// <item>channel-wise: along dim 1 when m ≥ n (one factor per row) else dim 0 (per column), f = ‖N‖/(‖R‖ + 1e-8) per channel;</item>
/// <item>tensor-wise (APOLLO-Mini): one f = ‖N‖_F/(‖R‖_F + 1e-8).</item>
/// </list>
/// Fira's norm-growth limiter (arXiv 2410.01623): with s = ‖G⊙f‖, limiter = max(s/(s_prev + 1e-8), 1.01)/1.01 from the
/// second step on, and s_prev ← s/limiter is kept as the 0-d state <c>scaled_grad</c>. Then W −= step·√scale/limiter · G⊙f.
/// Unlike the reference, G⊙f is never materialised: s comes from G's per-channel norms, and the update is one
/// <c>addcmul_</c> (channel) or <c>add_</c> (tensor) with f broadcast — so no full-size temporary exists.
/// </summary>
internal sealed class ApolloRule : IUpdateRule<ApolloOptions>
{
    public static readonly ApolloRule Instance = new();

    public ScalarType ComputeType(ScalarType gradType) => gradType;

    public void Apply(ParameterState state, Tensor grad, UpdateSink sink, ApolloOptions o, double lr)
    {
        double b1 = o.beta1!.Value, b2 = o.beta2!.Value;
        var m = state.GetOrCreate("exp_avg", () => zeros_like(grad));
        var v = state.GetOrCreate("exp_avg_sq", () => zeros_like(grad));
        m.mul_(b1).add_(grad, 1 - b1);
        v.mul_(b2).addcmul_(grad, grad, 1 - b2);
        double step = lr * Math.Sqrt(1 - Math.Pow(b2, state.Step)) / (1 - Math.Pow(b1, state.Step));
        using var denom = v.sqrt().add_(o.eps!.Value);
        if (sink is not ApolloSink apollo)
        {
            sink.AddRatio(m, denom, -step);
            return;
        }
        var normalized = denom.reciprocal_().mul_(m);          // N, in place of denom
        double alpha = -step * Math.Sqrt(apollo.Projector.Settings.Scale);
        var full = apollo.Gradient;
        if (o.tensor_scaling == 1)
        {
            double factor = Norm(normalized) / (Norm(grad) + 1e-8);
            double limiter = Limit(state, factor * Norm(full), full.dtype, full.device);
            apollo.Weight.add_(full, alpha * factor / limiter);
            return;
        }
        int dim = apollo.RowsAtLeastCols ? 1 : 0;            // the reference's norm_dim: 0 if m < n else 1
        using var f = normalized.norm(dim, false);            // one per channel (max(m, n) of them)
        using (var r = grad.norm(dim, false)) f.div_(r.add_(1e-8));
        double scaled;
        using (var g = full.norm(dim, false))                // ‖G⊙f‖² = Σ_c f_c²·‖G_c‖²
        using (var product = g.mul(f))
            scaled = Norm(product);
        double lim = Limit(state, scaled, full.dtype, full.device);
        using var column = dim == 1 ? f.unsqueeze(1) : f.unsqueeze(0);
        apollo.Weight.addcmul_(full, column, alpha / lim);
    }

    /// <summary>The limiter of this step, updating <c>scaled_grad</c> (created at the first step with s itself).</summary>
    static double Limit(ParameterState state, double scaled, ScalarType dtype, Device device)
    {
        var previous = state.Find("scaled_grad");
        if (previous is null)
        {
            state.GetOrCreate("scaled_grad", () => tensor(scaled, dtype, device));
            return 1.0;
        }
        double limiter = Math.Max(scaled / (Scalar(previous) + 1e-8), 1.01) / 1.01;
        previous.fill_(scaled / limiter);
        return limiter;
    }

    static double Norm(Tensor t)
    {
        using var n = t.norm();
        return Scalar(n);
    }

    static double Scalar(Tensor t)
    {
        using var d = t.to(ScalarType.Float64);
        return d.item<double>();
    }
}

/// <summary>What an APOLLO target weight's update needs besides R: the weight, its full gradient and the projector.</summary>
internal sealed class ApolloSink(GaLoreProjector projector, Tensor weight, Tensor gradient) : UpdateSink
{
    /// <summary>The projector (its settings carry <c>scale</c>).</summary>
    public GaLoreProjector Projector { get; } = projector;

    /// <summary>The weight W.</summary>
    public Tensor Weight { get; } = weight;

    /// <summary>The full gradient G.</summary>
    public Tensor Gradient { get; } = gradient;

    /// <summary>Whether m ≥ n (channels are rows).</summary>
    public bool RowsAtLeastCols => Projector.Rows >= Projector.Cols;

    public override long Elements => Projector.Geometry.LowRankElements;

    public override long[] Shape => Projector.LowRankShape;

    public override void AddRatio(Tensor num, Tensor den, double alpha, long offset = 0) =>
        throw new NotSupportedException("APOLLO scales the full gradient; its rule applies the update itself");

    public override void Add(Tensor u, double alpha, long offset = 0) =>
        throw new NotSupportedException("APOLLO scales the full gradient; its rule applies the update itself");
}
