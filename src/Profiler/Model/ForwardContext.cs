using GaLore.Planner.Memory.Graph;
using GaLore.Profiler.Model.Parts;
using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model;

/// <summary>
/// What every part of one forward pass shares: the dtypes, the attention kind, the per-forward tables (rotary
/// cos/sin, the causal mask of math attention), the parameter tap, and the tapped aliases of parameters that several
/// parts read (a tied embedding is tapped once, so its two gradients add up before the tap's backward runs).
/// The tensors are borrowed: whoever created the context disposes them.
/// </summary>
internal sealed class ForwardContext(ModelDTypes types, AttentionKind attention, ForwardTables tables,
    Func<Tensor, Tensor>? tap, Action<string>? probe = null, IReadOnlyDictionary<IntPtr, Tensor>? shared = null, PeftModel? peft = null)
{
    public ModelDTypes Types { get; } = types;
    public AttentionKind Attention { get; } = attention;
    public ForwardTables Tables { get; } = tables;

    /// <summary>cos of the rotary angles, (B, T, head_dim) in the activation dtype.</summary>
    public Tensor Cos => Tables.Cos ?? throw new InvalidOperationException("this model has no rotary tables");

    /// <summary>sin of the rotary angles, (B, T, head_dim) in the activation dtype.</summary>
    public Tensor Sin => Tables.Sin ?? throw new InvalidOperationException("this model has no rotary tables");

    /// <summary>Additive causal mask (1, 1, T, T) for math attention; null for SDPA.</summary>
    public Tensor? CausalMask => Tables.CausalMask;

    /// <summary>The layerwise tap, or null.</summary>
    public Func<Tensor, Tensor>? Tap { get; } = tap;

    /// <summary>Diagnostics: called with a label after each op of forward (see <see cref="CausalLm.Probe"/>).</summary>
    public Action<string>? Probe { get; } = probe;

    /// <summary>Reports that <paramref name="label"/> just finished.</summary>
    public void At(string label) => Probe?.Invoke(label);

    /// <summary>
    /// The tensor a part computes with for parameter <paramref name="p"/>: for a parameter several parts read, the alias
    /// tapped once for the whole forward; else the tap's tracked alias when a tap is set and autograd records (so its
    /// backward sees the gradient), else the parameter itself. A fresh tap result is a new handle in the caller's
    /// dispose scope; the parameter and shared aliases are owned elsewhere.
    /// </summary>
    public Tensor Use(Tensor p)
    {
        if (peft is not null && peft.IsFrozen(p)) return p;                   // a frozen base parameter is never tapped
        if (shared is not null && shared.TryGetValue(p.Handle, out var once)) return once;
        return Tap is not null && torch.is_grad_enabled() ? Tap(p) : p;
    }

    /// <summary>A copy for a checkpointed block's recomputation, holding its own handles to the tables
    /// (<see cref="Release"/> them when the recomputation is done).</summary>
    public ForwardContext Retain() => new(Types, Attention, Tables.Retain(), Tap, Probe, shared, peft);

    /// <summary>The peft Linear whose base weight is <paramref name="weight"/> (an adapted or quantized Linear of a peft
    /// model), or null.</summary>
    public PeftLinear? PeftOf(Tensor weight) => peft?.Of(weight);

    /// <summary>Disposes the handles a <see cref="Retain"/> copy holds.</summary>
    public void Release() => Tables.Dispose();
}
