namespace GaLore.Planner.Optimizers;

/// <summary>
/// A Hugging Face <c>optim</c> name decoded (an entry of <see cref="OptimizerCatalog"/>): the optimizer family that runs
/// on each (possibly projected) gradient, whether GaLore projects the selected weights' gradients, and whether updates
/// are layerwise (one optimizer per parameter, stepped during backward so each gradient is freed right after its update).
/// </summary>
/// <param name="Name">Canonical name, as Hugging Face's <c>TrainingArguments.optim</c> spells it.</param>
/// <param name="Model">The optimizer family.</param>
/// <param name="GaLore">Whether GaLore projects the target modules' gradients (Zhao et al. 2024, arXiv 2403.03507).</param>
/// <param name="Layerwise">Whether each parameter is updated inside backward.</param>
public sealed record OptimizerSpec(string Name, OptimizerModel Model, bool GaLore, bool Layerwise)
{
    /// <summary>Every accepted canonical name, in the catalogue's order (the CLI and reports list them so).</summary>
    public static IReadOnlyList<string> Names => OptimizerCatalog.Names;

    /// <summary>Parses a name or alias (see <see cref="OptimizerCatalog.Parse"/>).</summary>
    public static OptimizerSpec Parse(string name) => OptimizerCatalog.Parse(name);

    public override string ToString() => Name;
}
