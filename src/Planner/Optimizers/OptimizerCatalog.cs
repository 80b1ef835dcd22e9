using GaLore.Planner.Optimizers.Families;

namespace GaLore.Planner.Optimizers;

/// <summary>
/// The optimizer names the planner accepts — every value of Hugging Face's <c>OptimizerNames</c>
/// (<c>transformers/training_args.py</c>; dispatch in <c>trainer_optimizer._OPTIMIZER_HANDLERS</c>) and this project's
/// layerwise baselines — each mapping to exactly one <see cref="OptimizerModel"/>, and the aliases that name the same
/// optimizer. The CLI's help, the kernels' factory and the tests enumerate these lists.
/// </summary>
public static class OptimizerCatalog
{
    /// <summary>torch AdamW (foreach), galore_torch's AdamW under GaLore names.</summary>
    public static readonly OptimizerModel AdamW = new AdamWModel();

    /// <summary>bitsandbytes 8-bit AdamW.</summary>
    public static readonly OptimizerModel AdamW8bit = new AdamW8bitModel();

    /// <summary>transformers' Adafactor.</summary>
    public static readonly OptimizerModel Adafactor = new AdafactorModel();

    /// <summary>torch AdamW with <c>fused=True</c> (HF's default <c>optim</c> on torch ≥ 2.8).</summary>
    public static readonly OptimizerModel AdamWFused = new AdamWModel("adamw_torch_fused", "torch.optim.AdamW (fused=True)", AdamWStep.Fused);

    /// <summary>torchao 4-bit AdamW.</summary>
    public static readonly OptimizerModel AdamW4bit = new TorchAoAdamWModel(4);

    /// <summary>bitsandbytes 32-bit Lion.</summary>
    public static readonly OptimizerModel Lion32bit = new BitsAndBytesModel(BnbKind.Lion, 32, false, kernel: true);

    /// <summary>bitsandbytes 8-bit Lion.</summary>
    public static readonly OptimizerModel Lion8bit = new BitsAndBytesModel(BnbKind.Lion, 8, false);

    /// <summary>bitsandbytes 32-bit AdEMAMix.</summary>
    public static readonly OptimizerModel AdEMAMix = new BitsAndBytesModel(BnbKind.AdEMAMix, 32, false, kernel: true);

    /// <summary>bitsandbytes 8-bit AdEMAMix.</summary>
    public static readonly OptimizerModel AdEMAMix8bit = new BitsAndBytesModel(BnbKind.AdEMAMix, 8, false);

    /// <summary>APOLLO's AdamW.</summary>
    public static readonly OptimizerModel Apollo = new ApolloModel();

    /// <summary>LOMO.</summary>
    public static readonly OptimizerModel Lomo = new LomoModel(false);

    /// <summary>AdaLomo.</summary>
    public static readonly OptimizerModel AdaLomo = new LomoModel(true);

    /// <summary>torch SGD.</summary>
    public static readonly OptimizerModel Sgd = new SgdModel();

    /// <summary>schedule-free AdamW.</summary>
    public static readonly OptimizerModel ScheduleFreeAdamW = new ScheduleFreeModel(ScheduleFreeKind.AdamW);

    /// <summary>Every canonical entry, in help order: library groups, HF's names in <c>OptimizerNames</c> order within each,
    /// then this project's layerwise baselines of the group.</summary>
    public static readonly IReadOnlyList<OptimizerSpec> All;

    /// <summary>Every optimizer family, once each, in <see cref="All"/>'s order.</summary>
    public static readonly IReadOnlyList<OptimizerModel> Models;

    /// <summary>The canonical names, in <see cref="All"/>'s order.</summary>
    public static readonly IReadOnlyList<string> Names;

    /// <summary>The twelve core names: adamw, adamw_8bit, adafactor, their GaLore forms, then the layerwise form of each
    /// (the order of the validation matrices and of the default capacity report).</summary>
    public static readonly IReadOnlyList<OptimizerSpec> Core;

    /// <summary><see cref="Core"/>'s names.</summary>
    public static readonly IReadOnlyList<string> CoreNames;

    /// <summary>Names that spell a catalogue entry differently (alias → canonical): HF's own aliases
    /// (<c>adamw_8bit</c> "just an alias for adamw_bnb_8bit"; <c>rmsprop_bnb</c> has no "8bit", so 32 bits), HF's
    /// <c>adamw_torch</c> for this project's <c>adamw</c>, and <c>adamw_hf</c> (transformers' own AdamW, removed in v5; the
    /// same state layout).</summary>
    public static readonly (string Alias, string Name)[] Aliases =
    [
        ("adamw_torch", "adamw"), ("adamw_hf", "adamw"), ("adamw_bnb_8bit", "adamw_8bit"), ("rmsprop_bnb", "rmsprop_bnb_32bit"),
    ];

    /// <summary>Hugging Face's 42 <c>OptimizerNames</c> values in enum order (transformers main, <c>training_args.py</c>).</summary>
    public static readonly IReadOnlyList<string> HuggingFaceNames =
    [
        "adamw_torch", "adamw_torch_fused", "adamw_torch_xla", "adamw_torch_npu_fused", "adamw_apex_fused", "adafactor",
        "adamw_anyprecision", "adamw_torch_4bit", "adamw_torch_8bit", "ademamix", "sgd", "adagrad", "adamw_bnb_8bit", "adamw_8bit",
        "ademamix_8bit", "lion_8bit", "lion_32bit", "paged_adamw_32bit", "paged_adamw_8bit", "paged_ademamix_32bit",
        "paged_ademamix_8bit", "paged_lion_32bit", "paged_lion_8bit", "rmsprop", "rmsprop_bnb", "rmsprop_bnb_8bit",
        "rmsprop_bnb_32bit", "galore_adamw", "galore_adamw_8bit", "galore_adafactor", "galore_adamw_layerwise",
        "galore_adamw_8bit_layerwise", "galore_adafactor_layerwise", "lomo", "adalomo", "grokadamw", "schedule_free_radam",
        "schedule_free_adamw", "schedule_free_sgd", "apollo_adamw", "apollo_adamw_layerwise", "stable_adamw",
    ];

    /// <summary>Hugging Face's default <c>optim</c>: <c>adamw_torch_fused</c> on torch ≥ 2.8 (<c>adamw_torch</c> before).</summary>
    public const string HuggingFaceDefault = "adamw_torch_fused";

    static OptimizerCatalog()
    {
        var all = new List<OptimizerSpec>(48);
        const string torch = "PyTorch AdamW", bnb = "bitsandbytes";
        void Add(string name, OptimizerModel model, string group, string? hf = "", bool layerwise = false,
            LowRankMethod lowRank = LowRankMethod.None, bool fused = false) =>
            all.Add(new OptimizerSpec(name, model, lowRank != LowRankMethod.None, layerwise || fused)
            {
                LowRank = lowRank, FusedBackward = fused, HfName = hf == "" ? name : hf, Group = group,
            });

        Add("adamw", AdamW, torch, hf: "adamw_torch");
        Add("adamw_torch_fused", AdamWFused, torch);
        Add("adamw_torch_xla", new AdamWModel("adamw_torch_xla", "torch_xla.amp.syncfree.AdamW", AdamWStep.Fused, kernel: false,
            note: "adamw_torch_xla: planned with torch AdamW's state layout and no step temporaries; torch_xla's source was not read"), torch);
        Add("adamw_torch_npu_fused", new AdamWModel("adamw_torch_npu_fused", "torch_npu.optim.NpuFusedAdamW", AdamWStep.Fused, kernel: false,
            note: "adamw_torch_npu_fused: planned with torch AdamW's state layout and a fused step; torch_npu's source was not read"), torch);
        Add("adamw_layerwise", AdamW, torch, hf: null, layerwise: true);
        Add("adamw_apex_fused", new AdamWModel("adamw_apex_fused", "apex.optimizers.FusedAdam (adam_w_mode, float32 moments)", AdamWStep.Fused,
            float32States: true, kernel: false), "NVIDIA apex");
        Add("adamw_anyprecision", new AnyPrecisionAdamWModel(), "torchdistx");
        Add("adafactor", Adafactor, "transformers");
        Add("adafactor_layerwise", Adafactor, "transformers", hf: null, layerwise: true);
        Add("sgd", Sgd, "torch.optim");
        Add("adagrad", new AdagradModel(), "torch.optim");
        Add("rmsprop", new RmspropModel(), "torch.optim");
        Add("adamw_torch_4bit", AdamW4bit, "torchao");
        Add("adamw_torch_8bit", new TorchAoAdamWModel(8), "torchao");
        Add("adamw_8bit", AdamW8bit, bnb, hf: "adamw_bnb_8bit");
        Add("adamw_8bit_layerwise", AdamW8bit, bnb, hf: null, layerwise: true);
        Add("paged_adamw_32bit", new BitsAndBytesModel(BnbKind.AdamW, 32, true), bnb);
        Add("paged_adamw_8bit", new AdamW8bitModel(paged: true), bnb);
        Add("ademamix", AdEMAMix, bnb);
        Add("ademamix_8bit", AdEMAMix8bit, bnb);
        Add("paged_ademamix_32bit", new BitsAndBytesModel(BnbKind.AdEMAMix, 32, true), bnb);
        Add("paged_ademamix_8bit", new BitsAndBytesModel(BnbKind.AdEMAMix, 8, true), bnb);
        Add("lion_32bit", Lion32bit, bnb);
        Add("lion_8bit", Lion8bit, bnb);
        Add("paged_lion_32bit", new BitsAndBytesModel(BnbKind.Lion, 32, true), bnb);
        Add("paged_lion_8bit", new BitsAndBytesModel(BnbKind.Lion, 8, true), bnb);
        Add("rmsprop_bnb_32bit", new BitsAndBytesModel(BnbKind.RMSprop, 32, false), bnb);
        Add("rmsprop_bnb_8bit", new BitsAndBytesModel(BnbKind.RMSprop, 8, false), bnb);
        const string galore = "GaLore (galore-torch)";
        foreach (bool layerwise in new[] { false, true })
            foreach (var m in new[] { AdamW, AdamW8bit, Adafactor })
            {
                string name = "galore_" + m.Id + (layerwise ? "_layerwise" : "");
                Add(name, m, galore, layerwise: layerwise, lowRank: LowRankMethod.GaLore);
            }
        const string apollo = "APOLLO (apollo-torch; APOLLO-Mini: rank 1, scale_type tensor)";
        Add("apollo_adamw", Apollo, apollo, lowRank: LowRankMethod.Apollo);
        Add("apollo_adamw_layerwise", Apollo, apollo, layerwise: true, lowRank: LowRankMethod.Apollo);
        Add("lomo", Lomo, "LOMO (lomo-optim; update fused into backward)", fused: true);
        Add("adalomo", AdaLomo, "LOMO (lomo-optim; update fused into backward)", fused: true);
        const string sf = "schedule-free (schedulefree)";
        Add("schedule_free_radam", new ScheduleFreeModel(ScheduleFreeKind.RAdam), sf);
        Add("schedule_free_adamw", ScheduleFreeAdamW, sf);
        Add("schedule_free_sgd", new ScheduleFreeModel(ScheduleFreeKind.Sgd), sf);
        Add("grokadamw", new GrokAdamWModel(), "grokadamw");
        Add("stable_adamw", new StableAdamWModel(), "torch-optimi");
        All = all.ToArray();

        var names = new string[all.Count];
        var models = new List<OptimizerModel>();
        for (int k = 0; k < all.Count; k++)
        {
            names[k] = all[k].Name;
            if (!models.Contains(all[k].Model)) models.Add(all[k].Model);
        }
        Names = names;
        Models = models.ToArray();

        var core = new List<OptimizerSpec>(12);
        foreach (bool layerwise in new[] { false, true })
            foreach (bool projected in new[] { false, true })
                foreach (var m in new[] { AdamW, AdamW8bit, Adafactor })
                    core.Add(Find(m, projected, layerwise)!);
        Core = core.ToArray();
        var coreNames = new string[core.Count];
        for (int k = 0; k < core.Count; k++) coreNames[k] = core[k].Name;
        CoreNames = coreNames;
    }

    /// <summary>
    /// Parses a name: the canonical names, dashes for underscores, any case, and the aliases (also with
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
        throw new PlannerInputException($"unknown optimizer '{name}': use one of {string.Join(", ", Names)} (see --help of --optim)");
    }

    /// <summary>The name that runs <paramref name="model"/> with the given projection and layerwise flags; null when none does.</summary>
    public static OptimizerSpec? Find(OptimizerModel model, bool galore, bool layerwise)
    {
        foreach (var s in All)
            if (ReferenceEquals(s.Model, model) && s.GaLore == galore && s.Layerwise == layerwise) return s;
        return null;
    }

    /// <summary>
    /// The names grouped by library for help texts, one line per group: each canonical name, its Hugging Face spelling or
    /// aliases after "=", and "*" on this project's own layerwise baselines (HF builds layerwise optimizers only for GaLore
    /// and APOLLO). Built with loops: <c>fit</c>'s start-up reads it.
    /// </summary>
    public static string GroupedHelp()
    {
        var sb = new System.Text.StringBuilder();
        var groups = new List<string>();
        foreach (var s in All)
            if (!groups.Contains(s.Group)) groups.Add(s.Group);
        foreach (var g in groups)
        {
            sb.Append('\n').Append("  ").Append(g).Append(": ");
            bool first = true;
            foreach (var s in All)
            {
                if (s.Group != g) continue;
                if (!first) sb.Append(", ");
                first = false;
                sb.Append(s.Name);
                var aliases = new List<string>();
                foreach (var (alias, canonical) in Aliases)
                    if (canonical == s.Name && alias != "adamw_hf") aliases.Add(alias);
                if (aliases.Count > 0) sb.Append(" (= ").Append(string.Join(" = ", aliases)).Append(')');
                if (s.HfName is null) sb.Append('*');
            }
        }
        return sb.ToString();
    }
}
