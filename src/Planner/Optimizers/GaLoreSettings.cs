namespace GaLore.Planner.Optimizers;

/// <summary>
/// GaLore's knobs. Defaults are Hugging Face's (<c>Trainer._get_galore_optimizer</c>: rank 128,
/// update_proj_gap 200, scale 0.25, proj_type std), which also match the paper's runs
/// (α = 0.25, T = 200; the paper used T = 500 for 7B).
/// </summary>
/// <param name="Rank">Target rank r of the projected gradient.</param>
/// <param name="UpdateProjGap">T: the projector is recomputed from an SVD every T steps (at steps 0, T, 2T, …).</param>
/// <param name="Scale">α: the projected-back update is multiplied by it.</param>
/// <param name="ProjType">Which side(s) to project.</param>
public sealed record GaLoreSettings(int Rank = 128, int UpdateProjGap = 200, double Scale = 0.25, ProjectionType ProjType = ProjectionType.Std)
{
    /// <summary>Hugging Face's defaults.</summary>
    public static readonly GaLoreSettings Default = new();

    /// <summary>Hugging Face's APOLLO defaults (<c>_get_apollo_optimizer</c>): rank 128, update_proj_gap 200, scale 1.0,
    /// proj_type std.</summary>
    public static readonly GaLoreSettings ApolloDefault = new(Scale: 1.0);

    /// <summary>Rejects non-positive rank or gap and a non-finite scale.</summary>
    public GaLoreSettings Validate()
    {
        if (Rank <= 0) throw new PlannerInputException($"rank must be positive, got {Rank}");
        if (UpdateProjGap <= 0) throw new PlannerInputException($"update_proj_gap must be positive, got {UpdateProjGap}");
        if (!double.IsFinite(Scale) || Scale <= 0) throw new PlannerInputException($"scale must be a positive number, got {Scale}");
        return this;
    }
}
