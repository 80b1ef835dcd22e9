using GaLore.Kernels.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model;

/// <summary>
/// y = x·Wᵀ (+ b) with W stored in 4 bits, as bitsandbytes' <c>MatMul4Bit</c> runs it for training batches: forward
/// dequantizes the whole W in x's dtype (the compute dtype <c>Linear4bit.set_compute_type</c> picks) — with double
/// quantization the absmax first, plus the offset into a second tensor (<c>_dequant_linear_fallback</c>) — multiplies and
/// drops W; nothing is saved but the packed weight (<c>ctx.tensors = (None, B)</c>). Backward dequantizes again, in the
/// dtype the weight had (<c>dequantize_4bit</c>, the offset added in place), casts it to the gradient's dtype when they
/// differ (the uncast copy is freed first, as Python frees the temporary) and returns dx = dy·W. W gets no gradient.
/// </summary>
internal sealed class FourBitLinearFunction : torch.autograd.SingleTensorFunction<FourBitLinearFunction>
{
    const string CallKey = "fourbit";

    /// <summary>The non-tensor arguments of one call: the stored weight and the (frozen) bias.</summary>
    sealed record Call(FourBitWeight Weight, Tensor? Bias, bool NeedsDx);

    public override string Name => "MatMul4Bit";

    /// <summary>(…, in) → (…, out) in x's dtype.</summary>
    public static Tensor Apply(Tensor x, FourBitWeight weight, Tensor? bias)
    {
        using var scope = torch.NewDisposeScope();
        return apply(x, new Call(weight, bias, torch.is_grad_enabled() && x.requires_grad)).MoveToOuterDisposeScope();
    }

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var x = (Tensor)vars[0];
        var call = (Call)vars[1];
        Tensor y;
        var (absmax, extra) = FourBitQuantizer.BlockAbsmax(call.Weight, inPlaceOffset: false);   // held through the matmul
        using (var w = FourBitQuantizer.Dequantize(call.Weight, x.dtype, absmax))                // (out, in) compute dtype
        using (var b = call.Bias?.to(x.dtype))
            y = nn.functional.linear(x, w, b);
        if (call.Weight.Nested) absmax.Dispose();
        extra?.Dispose();
        ctx.save_data(CallKey, call);
        return y;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad)
    {
        GradientHandoff.Flush();
        var call = (Call)ctx.get_data(CallKey);
        Tensor? dx = null;
        if (call.NeedsDx)
        {
            using var scope = torch.NewDisposeScope();
            var w = FourBitQuantizer.Dequantize(call.Weight, call.Weight.StoredType, inPlaceOffset: true);  // (out, in) stored dtype
            if (w.dtype != grad.dtype)
            {
                var cast = w.to(grad.dtype);
                w.Dispose();
                w = cast;
            }
            dx = grad.matmul(w).MoveToOuterDisposeScope();                                                    // (…, in)
            w.Dispose();
        }
        grad.Dispose();
        return [GradientHandoff.Defer(dx)!, null!];
    }
}
