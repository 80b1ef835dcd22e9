using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;

namespace GaLore.Planner.Adapters;

/// <summary>
/// Small ops the adapter graphs are written in, with what PyTorch's autograd keeps for each. Widths are bytes per element
/// (2 = bf16, 4 = float32); a tensor's width is read back from its size. Adapter weights are float32
/// (<see cref="AdapterSetup.AdapterBytes"/>); under autocast (mixed precision) a matmul casts its float32 operands to bf16
/// and saves the casts, as <c>torch.autocast</c> does.
/// </summary>
internal static class AdapterOps
{
    /// <summary>Bytes per element of an activation of <paramref name="features"/> per token.</summary>
    public static long Width(GraphTensor t, long features)
    {
        long w = t.Size.PerToken / features;
        if (w * features != t.Size.PerToken || w is not (2 or 4))
            throw new InvalidOperationException($"{t.Name}: {t.Size.PerToken} bytes per token is not {features} features of 2 or 4 bytes");
        return w;
    }

    /// <summary>Bytes per element of a batch-independent tensor of <paramref name="elements"/> elements.</summary>
    public static long FixedWidth(GraphTensor t, long elements) => t.Size.Const / elements;

    /// <summary><c>x.to(dtype)</c> of an activation: a new tensor; backward casts the gradient back. Returns
    /// <paramref name="input"/> itself when the width does not change.</summary>
    public static GraphTensor Cast(GraphBuilder b, string name, GraphTensor input, long features, long toWidth)
    {
        if (Width(input, features) == toWidth) return input;
        var y = b.Tensor(name, Extent.Tokens(toWidth * features));
        b.Op(name, [input], [y]);
        return y;
    }

    /// <summary><c>t.to(dtype)</c> of a batch-independent tensor.</summary>
    public static GraphTensor CastFixed(GraphBuilder b, string name, GraphTensor input, long elements, long toWidth)
    {
        if (FixedWidth(input, elements) == toWidth) return input;
        var y = b.Tensor(name, Extent.Fixed(toWidth * elements), requiresGrad: false);
        b.Op(name, [input], [y]);
        return y;
    }

    /// <summary>
    /// An adapter's <c>nn.Linear</c> (<c>lora_A</c> or <c>lora_B</c>, float32 weight <paramref name="role"/>, k → n) on an
    /// activation. Without autocast the input is float32 (peft casts it) and is saved for the weight's gradient; the
    /// output is float32. Under autocast the input (when float32) and the weight are cast to bf16 and the casts are saved;
    /// the output is bf16.
    /// </summary>
    public static GraphTensor Matmul(GraphBuilder b, bool autocast, string name, GraphTensor input, long k, long n, ParamRole role)
    {
        if (!autocast)
        {
            var y32 = b.Tensor($"{name} out", Extent.Tokens(AdapterSetup.AdapterBytes * n));
            b.Op(name, [input], [y32], saved: [input], parameters: [role]);
            return y32;
        }
        var xin = Cast(b, $"autocast {name} input", input, k, 2);
        var w16 = b.Tensor($"{name}.weight bf16", Extent.Fixed(2 * n * k));
        b.Op($"autocast {name}.weight", [], [w16], parameters: [role]);
        var y = b.Tensor($"{name} out", Extent.Tokens(2 * n));
        b.Op(name, [xin, w16], [y], saved: [xin, w16]);
        return y;
    }

    /// <summary>
    /// An adapter's <c>nn.Linear</c> applied to a batch-independent matrix of <paramref name="rows"/> rows (DoRA's
    /// <c>lora_B(lora_A(eye))</c>). Its result is only used detached, so it produces no gradient; but autograd records it
    /// (the adapter weights require grad), so what the linear saves — its input, and under autocast the bf16 casts of input
    /// and weight — lives as long as the result does: those casts are added to <paramref name="heldUntilReturn"/>.
    /// </summary>
    public static GraphTensor FixedMatmul(GraphBuilder b, bool autocast, string name, GraphTensor input, long rows, long k, long n,
        List<GraphTensor> heldUntilReturn)
    {
        var xin = input;
        if (autocast)
        {
            xin = CastFixed(b, $"autocast {name} input", input, rows * k, 2);
            if (xin != input) heldUntilReturn.Add(xin);
            var w16 = b.Tensor($"{name}.weight bf16", Extent.Fixed(2 * n * k), requiresGrad: false);
            b.Op($"autocast {name}.weight", [], [w16]);
            heldUntilReturn.Add(w16);
        }
        long outWidth = autocast ? 2 : AdapterSetup.AdapterBytes;
        var y = b.Tensor($"{name} out", Extent.Fixed(outWidth * rows * n), requiresGrad: false);
        b.Op(name, [xin], [y]);
        return y;
    }

    /// <summary>An element-wise op whose output has <paramref name="width"/> bytes per element of <paramref name="features"/>.</summary>
    public static GraphTensor Pointwise(GraphBuilder b, string name, GraphTensor[] inputs, long features, long width,
        GraphTensor[]? saved = null, Extent backwardScratch = default, bool passThroughGrad = false)
    {
        var y = b.Tensor(name, Extent.Tokens(width * features));
        b.Op(name, inputs, [y], saved: saved, backwardScratch: backwardScratch, passThroughGrad: passThroughGrad);
        return y;
    }
}
