using static TorchSharp.torch;

namespace GaLore.Profiler.Model.Parts;

/// <summary>Tensors computed once per forward and read by every block: rotary cos/sin (B, T, d) in the activation dtype
/// and, for eager attention, an additive causal mask (1, 1, T, T). Owned by the forward pass that made them.</summary>
/// <param name="Cos">cos of the rotary angles, or null for a family without rotary embeddings.</param>
/// <param name="Sin">sin of the rotary angles, or null.</param>
/// <param name="CausalMask">Additive mask for math attention, or null for SDPA.</param>
internal sealed record ForwardTables(Tensor? Cos, Tensor? Sin, Tensor? CausalMask) : IDisposable
{
    /// <summary>Copies holding their own handles (for a checkpointed block's recomputation).</summary>
    public ForwardTables Retain() =>
        new(Cos?.detach().DetachFromDisposeScope(), Sin?.detach().DetachFromDisposeScope(), CausalMask?.detach().DetachFromDisposeScope());

    public void Dispose()
    {
        Cos?.Dispose();
        Sin?.Dispose();
        CausalMask?.Dispose();
    }
}
