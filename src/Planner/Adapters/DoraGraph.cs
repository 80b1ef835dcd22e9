using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;

namespace GaLore.Planner.Adapters;

/// <summary>
/// DoRA's forward (Liu et al. 2024, arXiv 2402.09353; peft <c>DoraLinearVariant.forward</c> and
/// <c>DoraLinearLayer.forward</c>, caching off in training) after the base result and the adapter-dtype input exist:
/// <code>
/// lora_weight = lora_B(lora_A(eye(in))).T           # in×in identity, in×r, in×out: recorded, used detached
/// weight      = dequantize_module_weight(base).to(x.dtype)   # W itself, or a full copy / dequantized W
/// weight_norm = ‖weight + scaling·lora_weight‖ per row, detached (§4.3)
/// m           = magnitude / weight_norm
/// result_dora = (m − 1)·base_result + m·lora_B(lora_A(x))·scaling
/// </code>
/// The identity, the lora_weight chain and the weight copy live until the DoRA forward returns; with dropout the base
/// result is recomputed from the dropped-out x with that weight (<c>F.linear(x, weight)</c>, which saves the weight copy
/// for dx). Then <c>result + result_dora</c> and the cast back to the result's dtype.
/// </summary>
internal static class DoraGraph
{
    public static GraphTensor Build(GraphBuilder b, GraphContext x, PartAdapters peft, LinearAdapter entry, string name,
        GraphTensor input, GraphTensor xa, GraphTensor result, long outF, long inF, ParamRole roleA, ParamRole roleB, ParamRole magnitude, bool bias)
    {
        bool autocast = x.CastsWeights;
        bool bnb = entry.Quant != BaseQuant.None;
        long rb = AdapterOps.Width(result, outF);
        long xb = AdapterOps.Width(xa, inF);
        long wb = x.Precision.WeightBytes;
        long n = outF * inF, r = entry.Rank;
        var held = new List<GraphTensor>();

        var xd = entry.Dropout ? AdapterGraph.Dropout(b, x, name, xa, inF) : xa;
        // get_lora_weight: lora_B(lora_A(eye)).T, then .to(x.dtype).
        var eye = b.Tensor($"{name} DoRA eye(in)", Extent.Fixed(AdapterSetup.AdapterBytes * inF * inF), requiresGrad: false);
        b.Op($"{name} DoRA torch.eye", [], [eye]);
        var t1 = AdapterOps.FixedMatmul(b, autocast, $"{name} DoRA lora_A(eye)", eye, inF, inF, r, held);
        var t2 = AdapterOps.FixedMatmul(b, autocast, $"{name} DoRA lora_B(lora_A(eye))", t1, inF, r, outF, held);
        var loraWeight = AdapterOps.CastFixed(b, $"{name} DoRA lora_weight.to(x dtype)", t2, n, xb);
        held.AddRange([eye, t1, t2, loraWeight]);
        // dequantize_module_weight(base_layer).to(x.dtype).
        GraphTensor? w = null;
        switch (entry.Quant)
        {
            case BaseQuant.None:
                if (wb != xb)
                {
                    w = b.Tensor($"{name} DoRA W.to(x dtype)", Extent.Fixed(xb * n), requiresGrad: false);
                    b.Op($"{name} DoRA W.to(x dtype)", [], [w]);
                }
                break;
            case BaseQuant.Nf4:
            case BaseQuant.Fp4:
            {
                var deq = b.Tensor($"{name} DoRA dequantize_4bit(W)", Extent.Fixed(wb * n), requiresGrad: false);
                b.Op($"{name} DoRA dequantize_4bit(W)", [], [deq],
                    forwardScratch: Extent.Fixed(QuantizedStorage.NestedAbsmaxBytes(entry.DoubleQuant, n, forward: false) + peft.DequantScratchBytes));
                w = AdapterOps.CastFixed(b, $"{name} DoRA W.to(x dtype)", deq, n, xb);   // peft rebinds `weight`: deq dies at the cast
                break;
            }
            case BaseQuant.Int8:
            {
                // int8_vectorwise_dequant: CB · SCB (a float32 product), · 1/127 (another).
                var deq = b.Tensor($"{name} DoRA int8_vectorwise_dequant(W)", Extent.Fixed(4 * n), requiresGrad: false);
                b.Op($"{name} DoRA int8_vectorwise_dequant(W)", [], [deq], forwardScratch: Extent.Fixed(4 * n));
                w = AdapterOps.CastFixed(b, $"{name} DoRA W.to(x dtype)", deq, n, xb);   // peft rebinds `weight`: deq dies at the cast
                break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(entry), entry.Quant, "unknown base quantization");
        }
        if (w is not null) held.Add(w);
        // get_weight_norm: weight + scaling·lora_weight.detach(), row norms (in x's dtype), detached.
        var scaledLw = b.Tensor($"{name} DoRA scaling·lora_weight", Extent.Fixed(xb * n), requiresGrad: false);
        b.Op($"{name} DoRA scaling·lora_weight", [loraWeight], [scaledLw]);
        var sum = b.Tensor($"{name} DoRA W + scaling·lora_weight", Extent.Fixed(xb * n), requiresGrad: false);
        b.Op($"{name} DoRA W + scaling·lora_weight", w is null ? [scaledLw] : [w, scaledLw], [sum]);
        var norm = b.Tensor($"{name} DoRA weight_norm", Extent.Fixed(xb * outF), requiresGrad: false);
        b.Op($"{name} DoRA linalg.norm(dim=1)", [sum], [norm]);
        // mag_norm_scale = magnitude / weight_norm (float32): saves weight_norm for the magnitude's gradient.
        var scale = b.Tensor($"{name} DoRA mag_norm_scale", Extent.Fixed(AdapterSetup.AdapterBytes * outF));
        b.Op($"{name} DoRA magnitude / weight_norm", [norm], [scale], saved: [norm], parameters: [magnitude]);

        var a = AdapterOps.Matmul(b, autocast, $"{name}.lora_A", xd, inF, r, roleA);
        var loraResult = AdapterOps.Matmul(b, autocast, $"{name}.lora_B", a, r, outF, roleB);
        long ob = AdapterOps.Width(loraResult, outF);

        GraphTensor baseResult;
        if (entry.Dropout)
            baseResult = DroppedBase(b, autocast, name, xd, w, outF, inF, xb);
        else if (bias)
            baseResult = AdapterOps.Pointwise(b, $"{name} DoRA base_result − bias", [result], outF, rb);
        else baseResult = result;
        long brb = AdapterOps.Width(baseResult, outF);

        var minusOne = b.Tensor($"{name} DoRA mag_norm_scale − 1", Extent.Fixed(AdapterSetup.AdapterBytes * outF));
        b.Op($"{name} DoRA mag_norm_scale − 1", [scale], [minusOne]);
        long p1b = Math.Max(AdapterSetup.AdapterBytes, brb), p2b = Math.Max(AdapterSetup.AdapterBytes, ob);
        // A broadcast product: the (T, out) gradient product summed to the (out) factor's gradient is backward scratch.
        var p1 = AdapterOps.Pointwise(b, $"{name} DoRA (m − 1)·base_result", [minusOne, baseResult], outF, p1b,
            saved: [minusOne, baseResult], backwardScratch: Extent.Tokens(p1b * outF));
        var p2 = AdapterOps.Pointwise(b, $"{name} DoRA m·lora_result", [scale, loraResult], outF, p2b,
            saved: [scale, loraResult], backwardScratch: Extent.Tokens(p2b * outF));
        var p3 = AdapterOps.Pointwise(b, $"{name} DoRA ·scaling", [p2], outF, p2b);
        long rdb = Math.Max(p1b, p2b);
        var dora = AdapterOps.Pointwise(b, $"{name} result_dora", [p1, p3], outF, rdb, passThroughGrad: true);
        // DoraLinearLayer.forward returns: its locals (identity, lora_weight chain, weight copy) are released.
        var released = new List<GraphTensor>(held.Count);
        foreach (var t in held)
            if (!released.Contains(t)) released.Add(t);
        b.Op($"{name} DoRA forward returns", released.ToArray(), []);

        var total = AdapterOps.Pointwise(b, $"{name} result + result_dora", [result, dora], outF, Math.Max(rb, rdb), passThroughGrad: true);
        // lora.Linear: result.to(torch_result_dtype); the bnb layers: result.to(expected_dtype) outside autocast only.
        var output = bnb && autocast ? total : AdapterOps.Cast(b, $"{name} result.to(result dtype)", total, outF, rb);
        if (entry.Dropout && xa != input) AdapterGraph.ReleaseAtReturn(b, name, xa);
        return output;
    }

    /// <summary>With dropout, DoRA recomputes the base result from the dropped-out x: <c>F.linear(x, weight)</c> with the frozen
    /// weight copy (saved for dx when it is a copy; under autocast its bf16 cast is).</summary>
    static GraphTensor DroppedBase(GraphBuilder b, bool autocast, string name, GraphTensor xd, GraphTensor? w, long outF, long inF, long xb)
    {
        if (!autocast)
        {
            var y = b.Tensor($"{name} DoRA F.linear(dropout(x), W)", Extent.Tokens(xb * outF));
            b.Op($"{name} DoRA F.linear(dropout(x), W)", w is null ? [xd] : [xd, w], [y], saved: w is null ? [] : [w]);
            return y;
        }
        var xin = AdapterOps.Cast(b, $"autocast {name} DoRA input", xd, inF, 2);
        var w16 = b.Tensor($"{name} DoRA W bf16", Extent.Fixed(2 * outF * inF), requiresGrad: false);
        b.Op($"autocast {name} DoRA W", w is null ? [] : [w], [w16]);
        var y16 = b.Tensor($"{name} DoRA F.linear(dropout(x), W)", Extent.Tokens(2 * outF));
        b.Op($"{name} DoRA F.linear(dropout(x), W)", [xin, w16], [y16], saved: [w16]);
        return y16;
    }
}
