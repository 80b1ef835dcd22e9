namespace GaLore.Planner.Optimizers;

/// <summary>GaLore's <c>proj_type</c>: which side(s) of the gradient the projector multiplies.</summary>
public enum ProjectionType
{
    /// <summary>Project the shorter side: right when rows ≥ cols, else left (the reference default).</summary>
    Std,
    /// <summary>The opposite of <see cref="Std"/>: project the longer side.</summary>
    ReverseStd,
    /// <summary>Always left: R = Pᵀ·G, P = first r columns of U.</summary>
    Left,
    /// <summary>Always right: R = G·Qᵀ, Q = first r rows of Vᵀ.</summary>
    Right,
    /// <summary>Both sides: R = Pᵀ·G·Qᵀ, an r × r core.</summary>
    Full,
}

/// <summary>Names of <see cref="ProjectionType"/> as the reference spells them.</summary>
public static class ProjectionTypeNames
{
    /// <summary>Parses <c>std</c>, <c>reverse_std</c>, <c>left</c>, <c>right</c> or <c>full</c>.</summary>
    public static ProjectionType Parse(string text) => text.Trim().ToLowerInvariant().Replace('-', '_') switch
    {
        "std" => ProjectionType.Std,
        "reverse_std" => ProjectionType.ReverseStd,
        "left" => ProjectionType.Left,
        "right" => ProjectionType.Right,
        "full" => ProjectionType.Full,
        _ => throw new PlannerInputException($"unknown proj_type '{text}': use std, reverse_std, left, right or full"),
    };

    /// <summary>The reference's spelling.</summary>
    public static string Name(this ProjectionType type) => type switch
    {
        ProjectionType.Std => "std",
        ProjectionType.ReverseStd => "reverse_std",
        ProjectionType.Left => "left",
        ProjectionType.Right => "right",
        ProjectionType.Full => "full",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown proj_type"),
    };
}
