using GaLore.Planner.Optimizers.Families;

namespace GaLore.Planner.Optimizers;

/// <summary>
/// The optimizer names the planner accepts — each maps to exactly one <see cref="OptimizerModel"/> — and their aliases.
/// The CLI's help, the kernels' factory and the tests enumerate this list.
/// </summary>
public static class OptimizerCatalog
{
    /// <summary>torch AdamW.</summary>
    public static readonly OptimizerModel AdamW = new AdamWModel();

    /// <summary>bitsandbytes 8-bit AdamW.</summary>
    public static readonly OptimizerModel AdamW8bit = new AdamW8bitModel();

    /// <summary>transformers' Adafactor.</summary>
    public static readonly OptimizerModel Adafactor = new AdafactorModel();

    /// <summary>Every optimizer family.</summary>
    public static readonly IReadOnlyList<OptimizerModel> Models = [AdamW, AdamW8bit, Adafactor];

    /// <summary>Every name, in a stable order: the plain names, their GaLore forms, then the layerwise forms of each.</summary>
    public static readonly IReadOnlyList<OptimizerSpec> All = Build();

    static OptimizerSpec[] Build()
    {
        var list = new List<OptimizerSpec>();
        foreach (bool layerwise in new[] { false, true })
            foreach (bool galore in new[] { false, true })
                foreach (var m in Models)
                    list.Add(new OptimizerSpec((galore ? "galore_" : "") + m.Id + (layerwise ? "_layerwise" : ""), m, galore, layerwise));
        return list.ToArray();
    }

    /// <summary>Hugging Face's spellings of the same optimizers (<c>training_args.OptimizerNames</c>).</summary>
    static readonly (string Alias, string Name)[] Aliases =
    [
        ("adamw_torch", "adamw"), ("adamw_hf", "adamw"), ("adamw_bnb_8bit", "adamw_8bit"),
    ];

    /// <summary>The canonical names, in <see cref="All"/>'s order.</summary>
    public static readonly IReadOnlyList<string> Names = All.Select(s => s.Name).ToArray();

    /// <summary>
    /// Parses a name: the canonical names, dashes for underscores, any case, and HF's aliases (also with
    /// <c>galore_</c>/<c>_layerwise</c> around them, e.g. <c>galore_adamw_bnb_8bit</c>). Unknown names are an error.
    /// </summary>
    public static OptimizerSpec Parse(string name)
    {
        string n = name.Trim().ToLowerInvariant().Replace('-', '_');
        foreach (var s in All)
            if (s.Name == n) return s;
        foreach (var (alias, canonical) in Aliases)
            foreach (var (prefix, suffix) in new[] { ("", ""), ("galore_", ""), ("", "_layerwise"), ("galore_", "_layerwise") })
                if (n == prefix + alias + suffix)
                    return Parse(prefix + canonical + suffix);
        throw new PlannerInputException($"unknown optimizer '{name}': use one of {string.Join(", ", Names)}");
    }

    /// <summary>The name that runs <paramref name="model"/> with the given GaLore and layerwise flags; null when none does.</summary>
    public static OptimizerSpec? Find(OptimizerModel model, bool galore, bool layerwise)
    {
        foreach (var s in All)
            if (ReferenceEquals(s.Model, model) && s.GaLore == galore && s.Layerwise == layerwise) return s;
        return null;
    }
}
