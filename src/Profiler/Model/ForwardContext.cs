using GaLore.Planner.Memory.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model;

/// <summary>
/// What every module of one forward pass shares: the dtypes, the rotary tables (computed once per
/// forward, shape [b, s, head_dim]), the causal mask of math attention and the parameter tap.
/// The tensors are borrowed: whoever created the context disposes them.
/// </summary>
internal sealed class ForwardContext(ModelDTypes types, AttentionKind attention, Tensor cos, Tensor sin, Tensor? causalMask,
    Func<Tensor, Tensor>? tap, Action<string>? probe = null)
{
    public ModelDTypes Types { get; } = types;
    public AttentionKind Attention { get; } = attention;

    /// <summary>cos of the rotary angles, (B, T, head_dim) in the activation dtype.</summary>
    public Tensor Cos { get; } = cos;

    /// <summary>sin of the rotary angles, (B, T, head_dim) in the activation dtype.</summary>
    public Tensor Sin { get; } = sin;

    /// <summary>Additive causal mask (1, 1, T, T) for math attention; null for SDPA.</summary>
    public Tensor? CausalMask { get; } = causalMask;

    /// <summary>The layerwise tap, or null.</summary>
    public Func<Tensor, Tensor>? Tap { get; } = tap;

    /// <summary>Diagnostics: called with a label after each op of forward (see <see cref="LlamaModel.Probe"/>).</summary>
    public Action<string>? Probe { get; } = probe;

    /// <summary>Reports that <paramref name="label"/> just finished.</summary>
    public void At(string label) => Probe?.Invoke(label);

    /// <summary>
    /// The tensor a module computes with for parameter <paramref name="p"/>: the tap's tracked alias when a
    /// tap is set and autograd records (so its backward sees the gradient), else the parameter itself.
    /// A tap result is a new handle in the caller's dispose scope; the parameter is owned by the model.
    /// </summary>
    public Tensor Use(Tensor p) => Tap is not null && torch.is_grad_enabled() ? Tap(p) : p;

    /// <summary>A copy for a checkpointed block's recomputation, holding its own handles to the tables
    /// (<see cref="Release"/> them when the recomputation is done).</summary>
    public ForwardContext Retain() =>
        new(Types, Attention, Cos.detach().DetachFromDisposeScope(), Sin.detach().DetachFromDisposeScope(),
            CausalMask?.detach().DetachFromDisposeScope(), Tap, Probe);

    /// <summary>Disposes the handles a <see cref="Retain"/> copy holds.</summary>
    public void Release()
    {
        Cos.Dispose();
        Sin.Dispose();
        CausalMask?.Dispose();
    }
}
