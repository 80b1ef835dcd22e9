using GaLore.Planner.Models;
using TorchSharp.Modules;

namespace GaLore.Kernels.Factory;

/// <summary>One trainable tensor as Hugging Face's Trainer sees it when it builds an optimizer: the planner's description
/// of it (name, owning module, kind, shape — from the model's layout) and the tensor itself.</summary>
/// <param name="Table">The planner's entry (what target-module selection reads).</param>
/// <param name="Tensor">The parameter itself (the same object the model uses).</param>
public sealed record NamedParameter(ParameterTensor Table, Parameter Tensor)
{
    /// <summary>Full parameter name, e.g. <c>model.layers.0.mlp.up_proj.weight</c>.</summary>
    public string Name => Table.Name;

    /// <summary>
    /// A parameter outside any model layout (tests, benchmarks): described from its shape, as a Linear weight
    /// (<paramref name="isLinear"/>, 1-D: its bias) or else an embedding (2-D) or a norm (1-D).
    /// </summary>
    public static NamedParameter Loose(string name, string module, Parameter tensor, bool isLinear)
    {
        long rows = tensor.dim() >= 1 ? tensor.shape[0] : 1;
        long cols = tensor.dim() >= 2 ? tensor.shape[1..].Aggregate(1L, (a, b) => a * b) : 1;
        bool matrix = tensor.dim() >= 2;
        var kind = (isLinear, matrix) switch
        {
            (true, true) => TensorKind.MlpProjection,
            (true, false) => TensorKind.Bias,
            (false, true) => TensorKind.Embedding,
            (false, false) => TensorKind.Norm,
        };
        return new NamedParameter(new ParameterTensor(name, module, kind, -1, rows, cols), tensor);
    }
}
