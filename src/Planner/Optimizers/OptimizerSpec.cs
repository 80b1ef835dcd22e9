namespace GaLore.Planner.Optimizers;

/// <summary>
/// An optimizer name decoded (an entry of <see cref="OptimizerCatalog"/>): the optimizer family that runs on each
/// (possibly projected) gradient, whether a low-rank method projects the selected weights' gradients, and whether updates
/// happen inside backward (one optimizer per parameter, stepped as each gradient completes, which is then freed).
/// </summary>
/// <param name="Name">Canonical name: Hugging Face's <c>TrainingArguments.optim</c> spelling, or this project's
/// (<c>adamw</c> for HF's <c>adamw_torch</c>, and the layerwise baselines HF does not have).</param>
/// <param name="Model">The optimizer family.</param>
/// <param name="GaLore">Whether a low-rank method (<see cref="LowRank"/>: GaLore's or APOLLO's) projects the target modules'
/// gradients; such names read rank, update_proj_gap, scale and proj_type.</param>
/// <param name="Layerwise">Whether each parameter is updated inside backward and its gradient freed right after
/// (HF's <c>*_layerwise</c> post-accumulate-grad hooks, and LOMO's fused backward).</param>
public sealed record OptimizerSpec(string Name, OptimizerModel Model, bool GaLore, bool Layerwise)
{
    /// <summary>Which low-rank method projects the target weights (<see cref="LowRankMethod.None"/> unless <see cref="GaLore"/>).</summary>
    public LowRankMethod LowRank { get; init; }

    /// <summary>LOMO/AdaLomo: the update is fused into backward by tensor hooks (<c>lomo_optim</c>), not HF's layerwise
    /// machinery; no <c>optimizer.step()</c>, no gradient buffer.</summary>
    public bool FusedBackward { get; init; }

    /// <summary>Hugging Face's spelling of this optimizer (<c>OptimizerNames</c>), or null for this project's own names
    /// (the layerwise baselines of AdamW, 8-bit AdamW and Adafactor).</summary>
    public string? HfName { get; init; }

    /// <summary>The library group the name is listed under in help texts.</summary>
    public string Group { get; init; } = "";

    /// <summary>Every accepted canonical name of the project's twelve core names (AdamW, 8-bit AdamW and Adafactor, each with
    /// GaLore and layerwise), which the validation matrices and the default capacity report enumerate. Every name:
    /// <see cref="OptimizerCatalog.Names"/>.</summary>
    public static IReadOnlyList<string> Names => OptimizerCatalog.CoreNames;

    /// <summary>The projection knobs' defaults (HF's handler): GaLore's (scale 0.25) or APOLLO's (scale 1.0).</summary>
    public GaLoreSettings ProjectionDefaults => LowRank == LowRankMethod.Apollo ? GaLoreSettings.ApolloDefault : GaLoreSettings.Default;

    /// <summary>Parses a name or alias (see <see cref="OptimizerCatalog.Parse"/>).</summary>
    public static OptimizerSpec Parse(string name) => OptimizerCatalog.Parse(name);

    public override string ToString() => Name;
}
