using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model;

/// <summary>
/// RMSNorm (Zhang &amp; Sennrich 2019, arXiv 1910.07467, Eq. 4) as one autograd node:
/// y = w · x / rms(x), rms(x) = sqrt(mean(x²) + ε), computed in float32 and written in the activation dtype.
/// It keeps for backward only its input x and 1/rms (one float32 per token) — the planner's
/// <c>NormStyle.SavesInputAndRstd</c> — and recomputes x̂ = x / rms in backward:
/// dw = Σ_tokens g · x̂,  dx = (g·w − x̂ · mean(g·w·x̂)) / rms.
/// </summary>
/// <remarks>
/// Float32 work runs over blocks of token rows, <see cref="ChunkBytes"/> bytes of float32 per row block, so the
/// scratch is a constant — at most three float32 row blocks at once (≈ 3 MiB) in either direction — not the
/// 2 · 4 · h bytes per token that the planner's graph assumes.
/// The class is TorchSharp's per-type singleton; per-call data travels through <c>ctx.save_data</c>.
/// </remarks>
internal sealed class FusedRmsNormFunction : torch.autograd.SingleTensorFunction<FusedRmsNormFunction>
{
    /// <summary>Bytes of one float32 row block of scratch.</summary>
    public const long ChunkBytes = GaLore.Planner.Runtime.KernelBudget.NormBlockBytes;

    const string SavedKey = "rmsnorm";

    /// <summary>Non-tensor arguments of one call.</summary>
    sealed record Args(double Eps, ScalarType Output, bool NeedsDx, bool NeedsDw, double Offset);

    public override string Name => "FusedRmsNorm";

    /// <summary>Normalizes <paramref name="x"/> (..., h) with <paramref name="weight"/> (h) into dtype <paramref name="output"/>;
    /// the scale is w + <paramref name="offset"/> (Gemma's RMSNorm scales by 1 + w).</summary>
    public static Tensor Apply(Tensor x, Tensor weight, double eps, ScalarType output, double offset = 0)
    {
        bool grad = torch.is_grad_enabled();
        return apply(x, weight, new Args(eps, output, grad && x.requires_grad, grad && weight.requires_grad, offset));
    }

    /// <summary>The float32 scale w + offset: a new tensor when there is an offset (to() of a float32 w is w itself, which
    /// must not change).</summary>
    static Tensor Scale(Tensor w, double offset)
    {
        var w32 = w.to(ScalarType.Float32);
        return offset == 0 ? w32 : w32.add(offset);
    }

    /// <summary>Rows per float32 block for width <paramref name="h"/>.</summary>
    public static long ChunkRows(long h) => Math.Max(1, ChunkBytes / (4 * h));

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var x = (Tensor)vars[0];
        var w = (Tensor)vars[1];
        var a = (Args)vars[2];
        long h = x.shape[^1], n = x.numel() / h;
        var y = torch.empty(x.shape, a.Output, x.device);                       // (..., h) activation dtype
        long[] rstdShape = [.. x.shape[..^1], 1];
        var rstd = torch.empty(rstdShape, ScalarType.Float32, x.device);       // (..., 1) float32
        using (var scope = torch.NewDisposeScope())
        {
            var xf = x.view(n, h);
            var yf = y.view(n, h);
            var rf = rstd.view(n, 1);
            var w32 = Scale(w, a.Offset);                                          // (h)
            long rows = ChunkRows(h);
            for (long i = 0; i < n; i += rows)
            {
                using var block = torch.NewDisposeScope();
                long c = Math.Min(rows, n - i);
                var xc = Scoped(() => xf.narrow(0, i, c).to(ScalarType.Float32));  // (c, h) float32
                Tensor r;                                                          // (c, 1) 1/rms
                using (var squares = xc.square()) r = squares.mean([-1], keepdim: true).add_(a.Eps).rsqrt_();
                rf.narrow(0, i, c).copy_(r);
                yf.narrow(0, i, c).copy_(xc.mul(r).mul_(w32));
            }
        }
        if (a.NeedsDx || a.NeedsDw) ctx.save_data(SavedKey, new SavedTensors(x, rstd, w));
        ctx.save_data("args", a);
        rstd.Dispose();
        return y;
    }

    static Tensor Scoped(Func<Tensor> f)
    {
        using var scope = torch.NewDisposeScope();
        return f().MoveToOuterDisposeScope();
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad)
    {
        GradientHandoff.Flush();
        var a = (Args)ctx.get_data("args");
        using var saved = (SavedTensors)ctx.get_data(SavedKey);
        var x = saved[0];
        var rstd = saved[1];
        var w = saved[2];
        long h = x.shape[^1], n = x.numel() / h;
        Tensor? dx = a.NeedsDx ? torch.empty_like(x) : null;                    // (..., h) input dtype
        Tensor? dw = null;
        using (var scope = torch.NewDisposeScope())
        {
            var dw32 = torch.zeros(h, ScalarType.Float32, x.device);               // (h)
            var gf = grad.reshape(n, h);
            var xf = x.view(n, h);
            var rf = rstd.view(n, 1);
            var dxf = dx?.view(n, h);
            var w32 = Scale(w, a.Offset);
            long rows = ChunkRows(h);
            for (long i = 0; i < n; i += rows)
            {
                using var block = torch.NewDisposeScope();
                long c = Math.Min(rows, n - i);
                var r = rf.narrow(0, i, c);                                        // (c, 1)
                var xhat = Scoped(() => xf.narrow(0, i, c).to(ScalarType.Float32).mul(r)); // (c, h) x / rms
                var gc = Scoped(() => gf.narrow(0, i, c).to(ScalarType.Float32));  // (c, h)
                if (a.NeedsDw)
                    using (var product = gc.mul(xhat)) dw32.add_(product.sum([0]));
                if (dxf is null) continue;
                var gw = gc.mul(w32);                                              // (c, h) g · w
                gc.Dispose();                                                      // (gc may alias grad: never written)
                Tensor dot;                                                        // (c, 1) mean(g·w·x̂)
                using (var product = gw.mul(xhat)) dot = product.mean([-1], keepdim: true);
                dxf.narrow(0, i, c).copy_(gw.sub_(xhat.mul_(dot)).mul_(r));
            }
            if (a.NeedsDw) dw = dw32.to(w.dtype).MoveToOuterDisposeScope();
        }
        grad.Dispose();
        return [GradientHandoff.Defer(dx)!, GradientHandoff.Defer(dw)!, null!];
    }
}
