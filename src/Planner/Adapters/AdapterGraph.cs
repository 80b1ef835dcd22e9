using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;

namespace GaLore.Planner.Adapters;

/// <summary>
/// A Linear under peft, op by op as peft and bitsandbytes run it (<see cref="GraphParts.Linear"/> hands every Linear here
/// when the graph context carries <see cref="PartAdapters"/>). The frozen base first:
/// <list type="bullet">
/// <item>dense: <c>F.linear(x, W)</c> with W frozen saves nothing of its own (x is needed only for dW); under autocast
/// the bf16 copy of W is saved for dx;</item>
/// <item>4-bit (<c>Linear4bit</c> → <c>MatMul4Bit</c>): computes in its input's dtype (<c>set_compute_type</c>), dequantizes the
/// whole W for the matmul (<c>_dequant_linear_fallback</c>, the path for training batches) and again in backward
/// (<c>dequantize_4bit(B).to(grad.dtype)</c>), saving only the packed weight;</item>
/// <item>int8 (<c>Linear8bitLt</c> → <c>MatMul8bitLt</c>): quantizes a float16 copy of x per row, multiplies in int32,
/// keeps x itself (<c>ctx.tensors = (CAt, subA, A)</c>) and in backward dequantizes W (<c>CB.to(dtype).mul_(SCB/127)</c>);
/// outliers above the threshold (<c>subA</c>) are data-dependent and not modelled.</item>
/// </list>
/// Then a target's adapter (peft <c>lora.Linear.forward</c>, <c>lora.bnb.Linear4bit.forward</c>, <c>lora.bnb.Linear8bitLt.forward</c>):
/// x cast to the adapters' float32 (always for a dense base; for bnb bases only outside autocast), the dropout, lora_A
/// (saves its input), lora_B (saves lora_A's output), ·scaling, the sum with the base result (4-bit first clones it,
/// "defensively", as peft's comment says), and the cast back to the base result's dtype. DoRA: <see cref="DoraGraph"/>.
/// </summary>
public static class AdapterGraph
{
    /// <summary>The ops of one Linear (<paramref name="outFeatures"/> × <paramref name="inFeatures"/>) under peft.</summary>
    public static GraphTensor Linear(GraphBuilder b, GraphContext x, PartAdapters peft, string name, GraphTensor input,
        long outFeatures, long inFeatures, ParamRole weight, ParamRole? bias)
    {
        var entry = peft.Of(weight.Name);
        var y = Base(b, x, peft, entry, name, input, outFeatures, inFeatures);
        if (!entry.Adapted) return y;

        bool autocast = x.CastsWeights;
        bool bnb = entry.Quant != BaseQuant.None;
        long rb = AdapterOps.Width(y, outFeatures);
        var roleA = b.Param(AdapterRoles.A(weight.Name));
        var roleB = b.Param(AdapterRoles.B(weight.Name));
        var magnitude = entry.Dora ? b.Param(AdapterRoles.Magnitude(weight.Name)) : null;
        if (entry.Quant is BaseQuant.Nf4 or BaseQuant.Fp4)
            y = AdapterOps.Pointwise(b, $"{name} result.clone()", [y], outFeatures, rb, passThroughGrad: true);
        // peft's _cast_input_dtype(x, lora_A.weight.dtype): always in lora.Linear; in the bnb layers only without autocast.
        bool castInput = !bnb || !autocast;
        var xa = castInput ? AdapterOps.Cast(b, $"{name} x.to(float32) for the adapter", input, inFeatures, AdapterSetup.AdapterBytes) : input;
        if (entry.Dora)
            return DoraGraph.Build(b, x, peft, entry, name, input, xa, y, outFeatures, inFeatures, roleA, roleB, magnitude!, bias is not null);

        var xd = entry.Dropout ? Dropout(b, x, name, xa, inFeatures) : xa;
        var a = AdapterOps.Matmul(b, autocast, $"{name}.lora_A", xd, inFeatures, entry.Rank, roleA);      // (T, r)
        var lb = AdapterOps.Matmul(b, autocast, $"{name}.lora_B", a, entry.Rank, outFeatures, roleB);      // (T, out)
        long ob = AdapterOps.Width(lb, outFeatures);
        var scaled = AdapterOps.Pointwise(b, $"{name} lora·scaling", [lb], outFeatures, ob);
        if (bnb && castInput) scaled = AdapterOps.Cast(b, $"{name} lora output.to(result dtype)", scaled, outFeatures, rb);
        long sumWidth = Math.Max(rb, AdapterOps.Width(scaled, outFeatures));
        var sum = AdapterOps.Pointwise(b, $"{name} result + lora", [y, scaled], outFeatures, sumWidth, passThroughGrad: true);
        var output = bnb ? sum : AdapterOps.Cast(b, $"{name} result.to(result dtype)", sum, outFeatures, rb);
        if (xd != xa && xa != input) ReleaseAtReturn(b, name, xa);
        return output;
    }

    /// <summary>peft rebinds its local <c>x</c> to the adapter-dtype cast, which therefore lives until the layer's forward
    /// returns even when nothing saves it (with dropout, lora_A saves the dropped-out copy instead).</summary>
    internal static void ReleaseAtReturn(GraphBuilder b, string name, GraphTensor t) => b.Op($"{name} forward returns", [t], []);

    /// <summary><c>nn.Dropout</c> (p &gt; 0). On CUDA the fused <c>native_dropout</c> saves a bool mask (1 B per element); the CPU
    /// kernels (<c>_dropout_impl</c>) make a noise tensor in the input's dtype, <c>bernoulli_(1 − p) / (1 − p)</c>, and the product
    /// saves it.</summary>
    internal static GraphTensor Dropout(GraphBuilder b, GraphContext c, string name, GraphTensor x, long features)
    {
        long width = AdapterOps.Width(x, features);
        var y = b.Tensor($"{name} lora_dropout(x)", Extent.Tokens(width * features));
        var mask = b.Tensor($"{name} dropout mask", Extent.Tokens((c.Flavor.HostKernels ? width : 1) * features), requiresGrad: false);
        b.Op($"{name} lora_dropout", [x], [y, mask], saved: [mask]);
        return y;
    }

    /// <summary>The frozen base layer's forward (see the class comment): no parameter gradient, nothing saved for dW.</summary>
    static GraphTensor Base(GraphBuilder b, GraphContext x, PartAdapters peft, LinearAdapter entry, string name, GraphTensor input,
        long outF, long inF)
    {
        long ib = AdapterOps.Width(input, inF);
        long wb = x.Precision.WeightBytes;
        long n = outF * inF;
        switch (entry.Quant)
        {
            case BaseQuant.None:
            {
                if (!x.CastsWeights)
                {
                    var y = b.Tensor($"{name} out", Extent.Tokens(ib * outF));
                    b.Op(name, [input], [y]);
                    return y;
                }
                var xin = AdapterOps.Cast(b, $"autocast {name} input", input, inF, 2);
                var w16 = b.Tensor($"{name}.weight bf16", Extent.Fixed(2 * n), requiresGrad: false);
                b.Op($"autocast {name}.weight", [], [w16]);
                var y16 = b.Tensor($"{name} out", Extent.Tokens(2 * outF));
                b.Op(name, [xin, w16], [y16], saved: [w16]);
                return y16;
            }
            case BaseQuant.Nf4:
            case BaseQuant.Fp4:
            {
                // Computes in the input's dtype; W dequantized in forward (compute dtype) and in backward (the stored
                // dtype, then cast to the gradient's when they differ).
                var y = b.Tensor($"{name} out", Extent.Tokens(ib * outF));
                long forward = n * ib + QuantizedStorage.NestedAbsmaxBytes(entry.DoubleQuant, n, forward: true) + peft.DequantScratchBytes;
                long backward = n * wb + (wb != ib ? n * ib : 0) + QuantizedStorage.NestedAbsmaxBytes(entry.DoubleQuant, n, forward: false)
                                + peft.DequantScratchBytes;
                b.Op($"{name} (4-bit: dequantize W, matmul)", [input], [y],
                    forwardScratch: Extent.Fixed(forward), backwardScratch: Extent.Fixed(backward));
                return y;
            }
            case BaseQuant.Int8:
            {
                // Forward: x.to(float16) → int8 rows CA + float32 row scales; the int32 product, then the output.
                var y = b.Tensor($"{name} out", Extent.Tokens(ib * outF));
                b.Op($"{name} (int8: quantize x, int8 matmul)", [input], [y], saved: [input],
                    forwardScratch: Extent.Tokens(inF + 4 + Math.Max(2 * inF, 4 * outF)), backwardScratch: Extent.Fixed(n * ib + 4 * outF));
                return y;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(entry), entry.Quant, "unknown base quantization");
        }
    }
}
