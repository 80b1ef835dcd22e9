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
