namespace GaLore.Planner.Memory.Graph;

/// <summary>How attention is computed.</summary>
public enum AttentionKind
{
    /// <summary>Fused scaled-dot-product attention (FlashAttention-2, Dao 2023, arXiv 2307.08691, or the CPU
    /// flash kernel): keeps q, k, v, the output and a float32 log-sum-exp per query and head; no s² matrix.</summary>
    Sdpa,
    /// <summary>Eager attention: materialises the b·heads·s·s score and probability matrices
    /// (Korthikanti et al. 2022, arXiv 2205.05198, Eq. 2's 5·a·s/h term).</summary>
    Math,
}

/// <summary>The command-line and report spellings of <see cref="AttentionKind"/> (one table, so that no caller formats the
/// enum itself: <c>Enum.ToString</c> also costs every <c>fit</c> its reflection-backed name cache at start-up).</summary>
public static class AttentionKinds
{
    /// <summary>Parses <c>sdpa</c> (also <c>flash</c>, <c>fused</c>) or <c>math</c> (also <c>eager</c>).</summary>
    public static AttentionKind Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "sdpa" or "flash" or "fused" => AttentionKind.Sdpa,
        "math" or "eager" => AttentionKind.Math,
        _ => throw new PlannerInputException($"unknown attention '{text}': use sdpa or math"),
    };

    /// <summary><c>sdpa</c> or <c>math</c>.</summary>
    public static string Name(this AttentionKind kind) => kind switch
    {
        AttentionKind.Sdpa => "sdpa",
        AttentionKind.Math => "math",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown attention kind"),
    };
}
