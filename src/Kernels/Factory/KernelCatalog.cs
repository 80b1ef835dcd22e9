using GaLore.Kernels.Optimizers;
using GaLore.Kernels.Projection;
using GaLore.Planner.Optimizers;
using Parameter = TorchSharp.Modules.Parameter;

namespace GaLore.Kernels.Factory;

/// <summary>Builds one optimizer over HF's two groups: the regular parameters and the weights GaLore projects (empty
/// for names without GaLore).</summary>
public delegate ProjectedOptimizer KernelBuilder(OptimizerSetup setup, List<Parameter> regular, List<Parameter> projected, double learningRate,
    SubspaceRefresh? refresh);

/// <summary>
/// The TorchSharp kernel of each planner <see cref="OptimizerModel"/>, keyed by its <see cref="OptimizerModel.Id"/>: the
/// twin of <see cref="OptimizerCatalog.Models"/> on the training side. A family without a kernel is refused with its
/// name, never replaced by another. Each builder passes only the learning rate, as Hugging Face does; every other
/// hyperparameter is the class's default (see each class).
/// </summary>
public static class KernelCatalog
{
    static readonly Dictionary<string, KernelBuilder> Builders = new(StringComparer.Ordinal)
    {
        ["adamw"] = (setup, regular, projected, lr, refresh) =>
            !setup.Spec.GaLore ? new Optimizers.AdamW(regular, lr) : new GaLoreAdamW(regular, projected, setup.GaLore, lr, refresh: refresh),
        ["adamw_8bit"] = (setup, regular, projected, lr, refresh) =>
            !setup.Spec.GaLore ? new AdamW8bit(regular, lr) : new GaLoreAdamW8bit(regular, projected, setup.GaLore, lr, refresh: refresh),
        ["adafactor"] = (setup, regular, projected, lr, refresh) =>
        {
            double? beta1 = setup.Knobs.Number(Planner.Optimizers.Families.AdafactorModel.Beta1);
            return !setup.Spec.GaLore
                ? new Adafactor(regular, lr, beta1: beta1)
                : new GaLoreAdafactor(regular, projected, setup.GaLore, lr, beta1: beta1, refresh: refresh);
        },
    };

    /// <summary>Whether the family has a kernel here.</summary>
    public static bool Has(OptimizerModel model) => Builders.ContainsKey(model.Id);

    /// <summary>The builder of a family; throws <see cref="NotSupportedException"/> naming it when there is none.</summary>
    public static KernelBuilder BuilderOf(OptimizerModel model) =>
        Builders.TryGetValue(model.Id, out var b)
            ? b
            : throw new NotSupportedException($"optimizer family '{model.Id}' ({model.Library}) has no TorchSharp kernel in this project: it can be planned, not profiled");
}
