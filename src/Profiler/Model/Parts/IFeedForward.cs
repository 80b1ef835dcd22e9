using static TorchSharp.torch;

namespace GaLore.Profiler.Model.Parts;

/// <summary>The MLP half of a pre-norm block: a dense SwiGLU (<see cref="SwiGluMlp"/>) or a sparse mixture of experts
/// (<see cref="SparseMoe"/>).</summary>
internal interface IFeedForward
{
    /// <summary>(B, T, h) normalized input → (B, T, h). Takes ownership of <paramref name="x"/>'s handle.</summary>
    Tensor Forward(Tensor x, ForwardContext ctx);
}
