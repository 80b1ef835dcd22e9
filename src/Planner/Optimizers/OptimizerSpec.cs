namespace GaLore.Planner.Optimizers;

/// <summary>The optimizer that runs on each (possibly projected) gradient.</summary>
public enum BaseOptimizer
{
    /// <summary>Adam with decoupled weight decay (Loshchilov &amp; Hutter 2019, arXiv 1711.05101): two moments.</summary>
    AdamW,
    /// <summary>AdamW with block-wise 8-bit moments (Dettmers et al. 2022, arXiv 2110.02861, bitsandbytes).</summary>
    AdamW8bit,
    /// <summary>Adafactor (Shazeer &amp; Stern 2018, arXiv 1804.04235): factored second moment.</summary>
    Adafactor,
}

/// <summary>
/// A Hugging Face <c>optim</c> name decoded: the base optimizer, whether GaLore projects the
/// selected weights' gradients, and whether updates are layerwise (one optimizer per parameter,
/// stepped during backward so each gradient is freed right after its update).
/// </summary>
public readonly record struct OptimizerSpec(BaseOptimizer Base, bool GaLore, bool Layerwise)
{
    /// <summary>The twelve names accepted, in a stable order (the CLI and reports list them so).</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "adamw", "adamw_8bit", "adafactor",
        "galore_adamw", "galore_adamw_8bit", "galore_adafactor",
        "adamw_layerwise", "adamw_8bit_layerwise", "adafactor_layerwise",
        "galore_adamw_layerwise", "galore_adamw_8bit_layerwise", "galore_adafactor_layerwise",
    ];

    /// <summary>Canonical name, as Hugging Face's <c>TrainingArguments.optim</c> spells it.</summary>
    public string Name =>
        (GaLore ? "galore_" : "") +
        Base switch { BaseOptimizer.AdamW => "adamw", BaseOptimizer.AdamW8bit => "adamw_8bit", _ => "adafactor" } +
        (Layerwise ? "_layerwise" : "");

    /// <summary>Whether the base optimizer keeps 8-bit block-quantized moments.</summary>
    public bool Is8Bit => Base == BaseOptimizer.AdamW8bit;

    /// <summary>
    /// Parses an optimizer name. Accepts the canonical names above, dashes for underscores, and
    /// Hugging Face's aliases <c>adamw_torch</c>, <c>adamw_hf</c> and <c>adamw_bnb_8bit</c>.
    /// </summary>
    public static OptimizerSpec Parse(string name)
    {
        string n = name.Trim().ToLowerInvariant().Replace('-', '_');
        bool layerwise = n.EndsWith("_layerwise", StringComparison.Ordinal);
        if (layerwise) n = n[..^"_layerwise".Length];
        bool galore = n.StartsWith("galore_", StringComparison.Ordinal);
        if (galore) n = n["galore_".Length..];
        BaseOptimizer? b = n switch
        {
            "adamw" or "adamw_torch" or "adamw_hf" => BaseOptimizer.AdamW,
            "adamw_8bit" or "adamw_bnb_8bit" => BaseOptimizer.AdamW8bit,
            "adafactor" => BaseOptimizer.Adafactor,
            _ => null,
        };
        return b is { } value
            ? new OptimizerSpec(value, galore, layerwise)
            : throw new PlannerInputException($"unknown optimizer '{name}': use one of {string.Join(", ", Names)}");
    }

    public override string ToString() => Name;
}
