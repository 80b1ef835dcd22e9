using static TorchSharp.torch;

namespace GaLore.Profiler.Model.Parts;

/// <summary>A learned projection (B, T, in) → (B, T, out) in the activation dtype: an <c>nn.Linear</c>
/// (<see cref="Projection"/>) or GPT-2's <c>Conv1D</c> (<see cref="Conv1D"/>).</summary>
internal interface IProjection
{
    /// <summary>Projects <paramref name="x"/>; a new tensor in the caller's dispose scope.</summary>
    Tensor Forward(Tensor x, ForwardContext ctx);
}
