using GaLore.Kernels.Quantization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model.Parts;

/// <summary>
/// A Linear of a peft model: the frozen base (dense, or 4-bit through <see cref="FourBitLinearFunction"/>) and, for a
/// target, its float32 adapter — op by op as peft's <c>lora.Linear.forward</c> / <c>lora.bnb.Linear4bit.forward</c> run
/// it, each intermediate released where Python releases it, so the planner's <c>AdapterGraph</c> sizes exactly this.
/// <see cref="Projection"/> hands its forward here when the forward context knows its weight
/// (<see cref="ForwardContext.PeftOf"/>). Mixed precision emulates autocast as <see cref="Projection.Apply"/> does.
/// </summary>
/// <param name="weight">The dense frozen base weight, or the packed codes' parameter of a 4-bit base.</param>
/// <param name="fourBit">The 4-bit base, or null for a dense one.</param>
/// <param name="bias">The frozen bias, or null.</param>
/// <param name="loraA">lora_A (r × in), null for a frozen Linear that only has a quantized base.</param>
/// <param name="loraB">lora_B (out × r).</param>
/// <param name="magnitude">DoRA's magnitude vector (out), or null for LoRA.</param>
/// <param name="scaling">lora_alpha / r.</param>
/// <param name="dropout">lora_dropout (0: the identity).</param>
internal sealed class PeftLinear(Parameter weight, FourBitWeight? fourBit, Parameter? bias, Parameter? loraA, Parameter? loraB,
    Parameter? magnitude, double scaling, double dropout)
{
    /// <summary>(B, T, in) → (B, T, out). A new tensor in the caller's dispose scope.</summary>
    public Tensor Forward(Tensor x, ForwardContext ctx)
    {
        using var scope = torch.NewDisposeScope();
        var y = Base(x, ctx);                                                   // (B, T, out) base result
        if (loraA is null || loraB is null) return y.MoveToOuterDisposeScope();
        bool autocast = ctx.Types.CastsWeights;
        bool bnb = fourBit is not null;
        var resultType = y.dtype;
        if (bnb) y = Replace(y, y.clone());                                     // "defensively clone" (lora.bnb.Linear4bit)
        bool castInput = !bnb || !autocast;                                     // bnb layers cast only outside autocast
        var xa = castInput && x.dtype != ScalarType.Float32 ? x.to(ScalarType.Float32) : x;   // peft's local x, alive to the end
        var a = ctx.Use(loraA);
        var b = ctx.Use(loraB);
        if (magnitude is not null)
            return DoraForward.Run(this, ctx, xa, y, resultType, a, b, ctx.Use(magnitude), scaling, dropout).MoveToOuterDisposeScope();
        var xd = dropout > 0 ? nn.functional.dropout(xa, dropout, training: true) : xa;
        var la = Projection.Apply(xd, a, null, ctx.Types);                      // (B, T, r)
        var lb = Projection.Apply(la, b, null, ctx.Types);                      // (B, T, out)
        la.Dispose();
        var scaled = lb.mul(scaling);
        lb.Dispose();
        if (bnb && castInput && scaled.dtype != resultType) scaled = Replace(scaled, scaled.to(resultType));
        var sum = y.add(scaled);                                                // promotes to float32 when y is bf16
        y.Dispose();
        scaled.Dispose();
        if (!bnb && sum.dtype != resultType) sum = Replace(sum, sum.to(resultType));
        return sum.MoveToOuterDisposeScope();
    }

    /// <summary>The frozen base layer: <c>F.linear</c> with a frozen weight (saves nothing for it), or the 4-bit matmul.</summary>
    internal Tensor Base(Tensor x, ForwardContext ctx) =>
        fourBit is null ? Projection.Apply(x, weight, bias, ctx.Types) : FourBitLinearFunction.Apply(x, fourBit, bias);

    /// <summary>The base weight as peft's <c>dequantize_module_weight(base_layer).to(dtype)</c> gives it: the parameter itself
    /// when it already has that dtype, else a new tensor (a 4-bit base is dequantized in its stored dtype, then cast; the
    /// uncast copy is freed at once). <paramref name="copy"/> tells whether the caller owns the result.</summary>
    internal Tensor WeightAs(ScalarType dtype, out bool copy)
    {
        copy = true;
        if (fourBit is null)
        {
            if (weight.dtype == dtype)
            {
                copy = false;
                return weight;
            }
            return weight.detach().to(dtype);
        }
        var w = FourBitQuantizer.Dequantize(fourBit, fourBit.StoredType, inPlaceOffset: true);
        return w.dtype == dtype ? w : Replace(w, w.to(dtype));
    }

    /// <summary>The frozen bias, or null.</summary>
    internal Parameter? Bias => bias;

    /// <summary>Whether the base is stored in 4 bits.</summary>
    internal bool FourBitBase => fourBit is not null;

    internal static Tensor Replace(Tensor old, Tensor replacement)
    {
        old.Dispose();
        return replacement;
    }
}
