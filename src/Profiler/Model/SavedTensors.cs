using static TorchSharp.torch;

namespace GaLore.Profiler.Model;

/// <summary>
/// Tensors a custom autograd function keeps for its backward, held by the function's context through
/// <c>ctx.save_data</c> instead of <c>ctx.save_for_backward</c>.
/// </summary>
/// <remarks>
/// TorchSharp's C# autograd node (<c>CSharpNode</c>, 0.107) does not override libtorch's
/// <c>release_variables()</c>: tensors given to <c>save_for_backward</c> stay alive until the whole graph is
/// destroyed (when the loss is disposed), not until the node's backward has run, as built-in ops do. This
/// holder keeps its own handles (detached aliases, made under no_grad, so no autograd history is kept) and
/// <see cref="Dispose"/> — called at the end of backward — frees them at the moment PyTorch would.
/// Nothing here is an output of the function, so no reference cycle through the node arises.
/// </remarks>
internal sealed class SavedTensors : IDisposable
{
    readonly Tensor?[] tensors;

    /// <summary>Keeps aliases of <paramref name="keep"/> (the caller keeps its own handles).</summary>
    public SavedTensors(params Tensor?[] keep)
    {
        tensors = new Tensor?[keep.Length];
        for (int k = 0; k < keep.Length; k++)
            tensors[k] = keep[k]?.detach().DetachFromDisposeScope();
    }

    /// <summary>The k-th saved tensor (borrowed; valid until <see cref="Dispose"/>).</summary>
    public Tensor this[int k] => tensors[k] ?? throw new InvalidOperationException($"saved tensor {k} was null or already released");

    /// <summary>Whether the k-th saved tensor was given.</summary>
    public bool Has(int k) => tensors[k] is not null;

    public void Dispose()
    {
        for (int k = 0; k < tensors.Length; k++)
        {
            tensors[k]?.Dispose();
            tensors[k] = null;
        }
    }
}
