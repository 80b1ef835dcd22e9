using GaLore.Planner.Models;
using GaLore.Planner.Models.Families;
using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model.Parts;

/// <summary>
/// The dense decoders' MLP (<see cref="MlpKind"/>): down(act(gate(x))·up(x)) with separate projections, Phi-3's
/// <c>gate_up_proj</c> chunked in two, or proj(act(fc(x))); then the post-norm (Gemma, OLMo-2) and the residual dropout.
/// The activation is one op (SiLU, GELU, GELU-tanh) or <c>gelu_new</c>'s eight elementwise ops, in the order
/// <c>NewGELUActivation</c> evaluates them.
/// </summary>
internal sealed class DecoderMlp(DecoderBlockDesign d, IProjection? gate, IProjection up, IProjection down, IProjection? gateUp,
    DecoderNorm? postNorm)
{
    /// <summary>(B, T, h) → (B, T, h); disposes <paramref name="x"/> after its last use.</summary>
    public Tensor Forward(Tensor x, ForwardContext ctx)
    {
        using var scope = torch.NewDisposeScope();
        Tensor hidden;
        switch (d.Mlp)
        {
            case MlpKind.Gated:
            {
                var g = gate!.Forward(x, ctx);                                      // (B, T, i)
                var u = up.Forward(x, ctx);
                x.Dispose();
                var a = Activate(g, d.Activation);
                g.Dispose();
                hidden = a.mul(u);
                a.Dispose();
                u.Dispose();
                break;
            }
            case MlpKind.GatedFused:
            {
                var gu = gateUp!.Forward(x, ctx);                                   // (B, T, 2i)
                x.Dispose();
                var halves = gu.chunk(2, -1);                                       // gate, up: views
                gu.Dispose();
                var a = Activate(halves[0], d.Activation);
                halves[0].Dispose();
                hidden = halves[1].mul(a);                                          // up_states * act(gate)
                a.Dispose();
                halves[1].Dispose();
                break;
            }
            case MlpKind.Plain:
            {
                var fc = up.Forward(x, ctx);                                        // (B, T, i)
                x.Dispose();
                hidden = Activate(fc, d.Activation);
                fc.Dispose();
                break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(d), d.Mlp, "unknown MLP kind");
        }
        ctx.At("mlp: activation");
        var output = down.Forward(hidden, ctx);                                     // (B, T, h)
        hidden.Dispose();
        if (postNorm is not null) output = Replace(output, postNorm.Forward(output, ctx));
        if (d.ResidualDropout > 0) output = Replace(output, nn.functional.dropout(output, d.ResidualDropout, training: true));
        ctx.At("mlp: down projection");
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>The activation of <paramref name="x"/>; a new tensor in the caller's scope, every intermediate disposed.</summary>
    internal static Tensor Activate(Tensor x, HiddenActivation act)
    {
        switch (act)
        {
            case HiddenActivation.Silu: return nn.functional.silu(x);
            case HiddenActivation.Gelu: return nn.functional.gelu(x);
            case HiddenActivation.GeluTanh: return nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh);
            case HiddenActivation.GeluNew:
            {
                // 0.5 * x * (1.0 + tanh(sqrt(2/π) * (x + 0.044715 * pow(x, 3.0))))
                using var scope = torch.NewDisposeScope();
                var half = x.mul(0.5);
                var cube = x.pow(3.0);
                var inner = Replace(cube, cube.mul(0.044715));
                inner = Replace(inner, x.add(inner));
                inner = Replace(inner, inner.mul(Math.Sqrt(2.0 / Math.PI)));
                var tanh = Replace(inner, inner.tanh());
                var onePlus = Replace(tanh, tanh.add(1.0));
                var y = half.mul(onePlus);
                half.Dispose();
                onePlus.Dispose();
                return y.MoveToOuterDisposeScope();
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(act), act, "unknown activation");
        }
    }

    static Tensor Replace(Tensor old, Tensor replacement)
    {
        old.Dispose();
        return replacement;
    }
}
