using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model.Parts;

/// <summary>
/// <c>transformers.pytorch_utils.Conv1D</c> (GPT-2): y = x·W + b with W stored [in_features, out_features], computed as
/// <c>torch.addmm(b, x.view(-1, in), W)</c> — autograd saves x and W, as for a Linear. Under mixed precision x, W and b are
/// cast to bfloat16 first (addmm is on autocast's lower-precision list), and the casts are what is saved.
/// </summary>
internal sealed class Conv1D(Parameter weight, Parameter bias) : IProjection
{
    public Tensor Forward(Tensor x, ForwardContext ctx)
    {
        using var scope = torch.NewDisposeScope();
        var w = ctx.Use(weight);
        var b = ctx.Use(bias);
        if (ctx.Types.CastsWeights)
        {
            x = x.dtype == ScalarType.BFloat16 ? x : x.to(ScalarType.BFloat16);
            w = w.to(ScalarType.BFloat16);
            b = b.to(ScalarType.BFloat16);
        }
        long[] shape = [.. x.shape[..^1], w.shape[1]];
        var y = torch.addmm(b, x.reshape(-1, x.shape[^1]), w, 1, 1);            // (B·T, out)
        return y.view(shape).MoveToOuterDisposeScope();
    }
}
