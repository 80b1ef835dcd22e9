using GaLore.Planner.Models;
using TorchSharp.Modules;

namespace GaLore.Kernels.Factory;

/// <summary>One trainable tensor as Hugging Face's Trainer sees it when it builds an optimizer.</summary>
/// <param name="Name">Full parameter name, e.g. <c>model.layers.0.mlp.up_proj.weight</c>.</param>
/// <param name="Module">Owning module's name, e.g. <c>model.layers.0.mlp.up_proj</c> (what target-module matching sees).</param>
/// <param name="Tensor">The parameter itself (the same object the model uses).</param>
/// <param name="IsLinear">Whether the owning module is an <c>nn.Linear</c> (only Linear weights can be GaLore-projected).</param>
public sealed record NamedParameter(string Name, string Module, Parameter Tensor, bool IsLinear)
{
    /// <summary>
    /// The planner's view of this tensor, for <c>OptimizerSetup.SelectGaLore</c>. Only the fields that selection reads
    /// are meaningful: the kind is a Linear kind for Linear parameters (a bias when 1-D), else embedding (2-D) or norm (1-D).
    /// </summary>
    public ParameterTensor ToPlanner()
    {
        long rows = Tensor.dim() >= 1 ? Tensor.shape[0] : 1;
        long cols = Tensor.dim() >= 2 ? Tensor.shape[1..].Aggregate(1L, (a, b) => a * b) : 1;
        bool matrix = Tensor.dim() >= 2;
        var kind = (IsLinear, matrix) switch
        {
            (true, true) => Name.Contains("lm_head", StringComparison.Ordinal) ? TensorKind.LmHead : TensorKind.AttentionProjection,
            (true, false) => TensorKind.Bias,
            (false, true) => TensorKind.Embedding,
            _ => TensorKind.Norm,
        };
        return new ParameterTensor(Name, Module, kind, -1, rows, cols);
    }
}
