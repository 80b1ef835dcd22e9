using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model.Parts;

/// <summary>
/// DoRA's forward (Liu et al. 2024, arXiv 2402.09353; peft <c>DoraLinearVariant.forward</c> and <c>DoraLinearLayer.forward</c>,
/// no caching in training), line by line, after the base result and peft's adapter-dtype input exist: the lora weight from
/// <c>lora_B(lora_A(eye(in))).T</c> (recorded, used detached), the base weight in x's dtype, the detached row norm of
/// W + scaling·lora_weight, m = magnitude / norm, and (m − 1)·base_result + m·lora_B(lora_A(x))·scaling. The identity,
/// the lora-weight chain and the weight copy are released when the DoRA forward returns, as the planner's
/// <c>DoraGraph</c> says.
/// </summary>
internal static class DoraForward
{
    public static Tensor Run(PeftLinear layer, ForwardContext ctx, Tensor xa, Tensor result, ScalarType resultType, Tensor loraA, Tensor loraB,
        Tensor magnitude, double scaling, double dropout)
    {
        using var scope = torch.NewDisposeScope();
        var types = ctx.Types;
        bool autocast = types.CastsWeights;
        long inF = loraA.shape[1];
        var xd = dropout > 0 ? nn.functional.dropout(xa, dropout, training: true) : xa;
        var held = new List<Tensor>();
        Tensor dora;
        // get_lora_weight: lora_B(lora_A(eye)).T, then .to(x.dtype).
        var eye = torch.eye(inF, inF, loraA.dtype, xa.device);                                   // (in, in) float32
        var t1 = Projection.Apply(eye, loraA, null, types);                                        // (in, r)
        var t2 = Projection.Apply(t1, loraB, null, types);                                         // (in, out)
        var loraWeight = t2.t();                                                                   // (out, in) view
        if (loraWeight.dtype != xd.dtype) loraWeight = loraWeight.to(xd.dtype);
        held.AddRange([eye, t1, t2, loraWeight]);
        var weight = layer.WeightAs(xd.dtype, out bool copy);                                      // (out, in) in x's dtype
        if (copy) held.Add(weight);
        Tensor norm;
        using (var detached = loraWeight.detach())
        using (var scaledLw = detached.mul(scaling))
        using (var sum = weight.detach().add(scaledLw))
            norm = torch.linalg.vector_norm(sum, 2, [1]);                                          // (out) detached weight norm
        var scale = magnitude.div(norm).view(1, -1);                                               // (1, out) float32
        var la = Projection.Apply(xd, loraA, null, types);                                         // (B, T, r)
        var loraResult = Projection.Apply(la, loraB, null, types);                                 // (B, T, out)
        la.Dispose();
        Tensor baseResult;
        if (dropout > 0)
            baseResult = autocast ? Projection.Apply(xd, weight, null, types) : nn.functional.linear(xd, weight);
        else baseResult = layer.Bias is { } b ? result.sub(b) : result;
        var minusOne = scale.sub(1);                                                               // (1, out)
        var p1 = minusOne.mul(baseResult);                                                         // saves both
        if (!ReferenceEquals(baseResult, result)) baseResult.Dispose();
        var p2 = scale.mul(loraResult);                                                            // saves both
        loraResult.Dispose();
        var p3 = p2.mul(scaling);
        p2.Dispose();
        dora = p1.add(p3);                                                                         // result_dora
        p1.Dispose();
        p3.Dispose();
        minusOne.Dispose();
        foreach (var t in held) t.Dispose();                                                       // DoraLinearLayer.forward returns
        var total = result.add(dora);
        result.Dispose();
        dora.Dispose();
        if (!(layer.FourBitBase && autocast) && total.dtype != resultType) total = PeftLinear.Replace(total, total.to(resultType));
        return total.MoveToOuterDisposeScope();
    }
}
