using GaLore.Planner.Adapters;
using GaLore.Planner.Optimizers;

namespace GaLore.Planner.Fit;

/// <summary>
/// The "adapter fine-tuning (trains fewer parameters)" candidates of <see cref="Suggestions"/>: changes that train peft
/// adapters instead of every parameter, each with <see cref="SuggestionGroup.Adapter"/>:
/// <list type="bullet">
/// <item>LoRA with peft's defaults (r 8, α 8, the architecture's target modules) on the frozen base;</item>
/// <item>QLoRA: the same on an NF4 base with double quantization (the QLoRA paper's recipe, Dettmers et al. 2023,
/// arXiv 2305.14314);</item>
/// <item>for a step that already trains adapters: the NF4 base (when the base is not quantized) and LoRA instead of DoRA
/// (DoRA's weight-norm terms are full-size).</item>
/// </list>
/// An optimizer that cannot train adapters (GaLore, APOLLO: <see cref="AdapterSetup.CheckOptimizer"/>) becomes its family's
/// plain name, or <c>adamw</c> (Trainer's default) when the family has none.
/// </summary>
public static class AdapterSuggestions
{
    /// <summary>Adds the adapter changes that apply to <paramref name="query"/>.</summary>
    public static void AddCandidates(FitQuery query, List<SuggestedChange> changes)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(changes);
        var adapters = query.Step.Adapters;
        var original = query.Step.Optimizer.Spec;
        string Flags(FitQuery x, string peft) =>
            ReferenceEquals(x.Step.Optimizer.Spec, original) ? peft : $"{peft} --optim {x.Step.Optimizer.Spec.Name}";
        if (adapters is null)
        {
            var lora = new AdapterSetup(PeftMethod.Lora);
            var qlora = lora with { Quant = BaseQuant.Nf4, DoubleQuant = true };
            changes.Add(new SuggestedChange("LoRA (r 8, peft's default targets; frozen base)", x => Flags(x, "--peft lora"), 1,
                x => WithAdapters(x, lora), SuggestionGroup.Adapter));
            changes.Add(new SuggestedChange("QLoRA (r 8 on an NF4 base, double quantization)",
                x => Flags(x, "--peft lora --base-quant nf4 --double-quant"), 2, x => WithAdapters(x, qlora), SuggestionGroup.Adapter));
            return;
        }
        if (adapters.Quant == BaseQuant.None)
            changes.Add(new SuggestedChange("NF4 base with double quantization (QLoRA)", _ => "--base-quant nf4 --double-quant", 1,
                x => x.Step.Adapters is { Quant: BaseQuant.None } a ? WithAdapters(x, a with { Quant = BaseQuant.Nf4, DoubleQuant = true }) : null,
                SuggestionGroup.Adapter));
        if (adapters.Method == PeftMethod.Dora)
            changes.Add(new SuggestedChange("LoRA instead of DoRA (no full-size weight-norm terms)", _ => "--peft lora", 1,
                x => x.Step.Adapters is { Method: PeftMethod.Dora } a ? WithAdapters(x, a with { Method = PeftMethod.Lora }) : null,
                SuggestionGroup.Adapter));
    }

    /// <summary>The query training <paramref name="adapters"/>, with an optimizer that can.</summary>
    static FitQuery WithAdapters(FitQuery x, AdapterSetup adapters)
    {
        var o = x.Step.Optimizer;
        var spec = o.Spec;
        if (!AdapterSetup.CanTrain(spec))
            spec = OptimizerCatalog.Find(spec.Model, false, spec.Layerwise) is { } plain && AdapterSetup.CanTrain(plain) ? plain : OptimizerSpec.Parse("adamw");
        var optimizer = ReferenceEquals(spec, o.Spec) ? o : o with { Spec = spec, Args = ReferenceEquals(spec.Model, o.Spec.Model) ? o.Args : null };
        return x with { Step = x.Step with { Optimizer = optimizer, Adapters = adapters } };
    }
}
