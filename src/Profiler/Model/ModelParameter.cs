using GaLore.Planner.Models;
using TorchSharp.Modules;

namespace GaLore.Profiler.Model;

/// <summary>
/// One trainable tensor of a <see cref="CausalLm"/> with its Hugging Face name and the planner's
/// description of it (<see cref="ParameterTable"/>), so GaLore target-module selection sees the same
/// names and flags as the planner.
/// </summary>
/// <param name="Name">Hugging Face parameter name, e.g. <c>model.layers.0.self_attn.q_proj.weight</c>.</param>
/// <param name="Table">The planner's entry for it (module name, kind, layer, shape).</param>
/// <param name="Tensor">The parameter itself.</param>
public sealed record ModelParameter(string Name, ParameterTensor Table, Parameter Tensor)
{
    /// <summary>Owning module's name, e.g. <c>model.layers.0.mlp.down_proj</c>.</summary>
    public string Module => Table.Module;

    /// <summary>Whether this is the weight of an <c>nn.Linear</c> (what GaLore may project).</summary>
    public bool IsLinearWeight => Table.IsLinearWeight;

    /// <summary>Whether the optimizer updates it (false for a peft model's frozen base).</summary>
    public bool Trainable { get; init; } = true;
}
