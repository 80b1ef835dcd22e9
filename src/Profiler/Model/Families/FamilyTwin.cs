using GaLore.Planner.Models;
using GaLore.Planner.Models.Layout;
using GaLore.Profiler.Model.Parts;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model.Families;

/// <summary>The parameters of one layout part, by the roles of its op graph.</summary>
public sealed class PartParameters(LayoutPart part, IReadOnlyList<Parameter> all)
{
    /// <summary>The parameter bound to <paramref name="role"/>.</summary>
    public Parameter this[string role] => all[part.ParameterOf(role)];

    /// <summary>The parameter bound to <paramref name="role"/>, or null when the part has no such role (an absent bias).</summary>
    public Parameter? Optional(string role) => part.HasRole(role) ? all[part.ParameterOf(role)] : null;
}

/// <summary>
/// The TorchSharp twin of a planner <see cref="ModelFamily"/>: builds the parts of a <see cref="CausalLm"/> from the
/// family's layout (its designs and role-bound parameters), so that the model trains what the planner sizes. One file
/// per family in this folder, registered in <see cref="FamilyTwins"/>.
/// </summary>
public abstract class FamilyTwin
{
    /// <summary>The planner families this twin builds (the same design types).</summary>
    public abstract IReadOnlyList<ModelFamily> Families { get; }

    /// <summary>The part for one layout part.</summary>
    public abstract ModelPart Create(LayoutPart part, PartParameters parameters, ModelConfig config, ModelOptions options);

    /// <summary>The initial value of a parameter (HF's <c>_init_weights</c>: normal(0, initializer_range) matrices, zero
    /// biases, unit norms), drawn from <paramref name="init"/> in table order so a seed gives the same weights.</summary>
    public virtual Tensor InitialValue(ParameterTensor t, ScalarType dtype, Device device, Generator init, double std, ModelConfig config) => t.Kind switch
    {
        TensorKind.Norm => torch.ones(t.Rows, dtype, device),
        TensorKind.Bias => torch.zeros(t.Rows, dtype, device),
        TensorKind.Embedding or TensorKind.AttentionProjection or TensorKind.MlpProjection or TensorKind.LmHead
            or TensorKind.RouterProjection or TensorKind.Router or TensorKind.ExpertProjection or TensorKind.StackedExperts =>
            Init.Normal(t.Shape(), std, dtype, device, init),
        _ => throw new ArgumentOutOfRangeException(nameof(t), t.Kind, $"no initialisation for {t.Name}"),
    };
}

/// <summary>Every twin; a family without one can be planned but not trained here.</summary>
public static class FamilyTwins
{
    /// <summary>The twins.</summary>
    public static readonly IReadOnlyList<FamilyTwin> All = [new LlamaTwin(), new DecoderTwin(), new MoeTwin()];

    /// <summary>Whether the family has a twin.</summary>
    public static bool Has(ModelFamily family) => Find(family) is not null;

    /// <summary>The twin of a family; throws <see cref="NotSupportedException"/> naming it when there is none.</summary>
    public static FamilyTwin Of(ModelFamily family) => Find(family)
        ?? throw new NotSupportedException($"model family '{family.ModelType}' has no TorchSharp model in this project: it can be planned, not profiled");

    static FamilyTwin? Find(ModelFamily family)
    {
        foreach (var t in All)
            foreach (var f in t.Families)
                if (ReferenceEquals(f, family)) return t;
        return null;
    }
}
