using System.Reflection;
using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Kernels.Layerwise;

/// <summary>
/// A "gradient tap": an autograd node whose output is the weight itself (libtorch turns a returned input into a
/// view of it) and whose backward receives dL/dW — summed over every use of the output, so tied weights work —
/// hands it to a callback that updates W in place, and returns no gradient. This gives Hugging Face's layerwise
/// updates (a post-accumulate-grad hook per parameter, <c>Trainer._get_galore_optimizer</c>) in TorchSharp 0.107,
/// which has no tensor hooks: the weight's gradient is freed as soon as its update is done and never reaches
/// <c>W.grad</c>.
/// <para>Arguments of <c>apply</c>: the weight, a 0-d anchor tensor that requires grad (so the output requires grad
/// even when the weight does not), and the callback. Backward returns one (null) entry per argument.</para>
/// <para>The node runs after every consumer of the tapped tensor has run its own backward (the engine waits for all
/// gradient contributions), so tensors those consumers saved are no longer needed when W changes in place.</para>
/// </summary>
internal sealed class LayerwiseTap : autograd.SingleTensorFunction<LayerwiseTap>
{
    const string CallbackKey = "galore.tap";

    [ThreadStatic] static autograd.AutogradContext? lastContext;

    public override string Name => "GaLoreLayerwiseTap";

    /// <summary>Taps <paramref name="weight"/>: the result is W (a view) as an autograd node that calls
    /// <paramref name="onGradient"/> with dL/dW during backward.</summary>
    public static Tensor Tap(Tensor weight, Tensor anchor, TapCallback onGradient)
    {
        lastContext = null;
        var output = apply(weight, anchor, onGradient);
        if (lastContext is { } ctx && output.requires_grad) OutputCache.Release(ctx);
        lastContext = null;
        return output;
    }

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        ctx.save_data(CallbackKey, vars[2]);
        lastContext = ctx;
        return (Tensor)vars[0];
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        var callback = (TapCallback)ctx.get_data(CallbackKey);
        using (grad_output)
            if (!grad_output.IsInvalid) callback.Invoke(grad_output);   // an undefined gradient means nothing to apply
        return [null!, null!, null!];
    }

    /// <summary>
    /// TorchSharp 0.107 keeps, per custom-function output, an <c>empty_like</c> tensor to materialize missing
    /// gradients as zeros (<c>Node.SaveOutputsInfo</c>). For a tap that is a second, weight-sized allocation per
    /// tapped parameter from forward until the graph is freed — virtual only on CPU, but real on CUDA. A tap's
    /// backward only runs when a gradient exists, so the cached tensor is never needed: it is disposed right after
    /// <c>apply</c>. The private fields are looked up once; if a TorchSharp version renames them this does nothing
    /// (<see cref="Supported"/> is false) and the tap still works, just with the extra allocation.
    /// </summary>
    internal static class OutputCache
    {
        static readonly FieldInfo? NodeField = typeof(autograd.AutogradContext).GetField("_node", BindingFlags.NonPublic | BindingFlags.Instance);

        /// <summary>Whether the cache could be found in this TorchSharp build (checked on the first tap).</summary>
        public static bool? Supported { get; private set; }

        public static void Release(autograd.AutogradContext ctx)
        {
            var node = NodeField?.GetValue(ctx);
            var field = node?.GetType().GetField("_outputCache", BindingFlags.NonPublic | BindingFlags.Instance);
            if (field?.GetValue(node) is not List<Tensor> cache)
            {
                Supported = false;
                return;
            }
            for (int i = 0; i < cache.Count; i++)
            {
                cache[i]?.Dispose();
                cache[i] = null!;
            }
            Supported = true;
        }
    }
}

/// <summary>What a tap does with a weight's gradient during backward.</summary>
internal sealed class TapCallback(Action<Tensor> onGradient)
{
    public void Invoke(Tensor grad) => onGradient(grad);
}
