using static TorchSharp.torch;

namespace GaLore.Profiler.Model.Parts;

/// <summary>Tensors computed once per forward and read by every block: rotary cos/sin (B, T, d) in the activation dtype
/// and, for eager attention, an additive causal mask (1, 1, T, T). Owned by the forward pass that made them.</summary>
/// <param name="Cos">cos of the rotary angles, or null for a family without rotary embeddings.</param>
/// <param name="Sin">sin of the rotary angles, or null.</param>
/// <param name="CausalMask">Additive mask for math attention, or null for SDPA.</param>
internal sealed record ForwardTables(Tensor? Cos, Tensor? Sin, Tensor? CausalMask) : IDisposable
{
    /// <summary>A second rotary pair for the sliding-window layers (Gemma-3's local base), or null.</summary>
    public Tensor? LocalCos { get; init; }

    /// <summary>sin of the local rotary pair, or null.</summary>
    public Tensor? LocalSin { get; init; }

    /// <summary>The sliding-window mask the window layers read: additive (B, 1, T, T) for math attention, boolean for SDPA
    /// (built only from the window's length on, as transformers does); null when no layer needs one.</summary>
    public Tensor? WindowMask { get; init; }

    static Tensor? Alias(Tensor? t) => t?.detach().DetachFromDisposeScope();

    /// <summary>Copies holding their own handles (for a checkpointed block's recomputation).</summary>
    public ForwardTables Retain() =>
        new(Alias(Cos), Alias(Sin), Alias(CausalMask)) { LocalCos = Alias(LocalCos), LocalSin = Alias(LocalSin), WindowMask = Alias(WindowMask) };

    public void Dispose()
    {
        Cos?.Dispose();
        Sin?.Dispose();
        CausalMask?.Dispose();
        LocalCos?.Dispose();
        LocalSin?.Dispose();
        WindowMask?.Dispose();
    }
}
