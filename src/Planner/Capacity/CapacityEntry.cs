using GaLore.Planner.Adapters;
using GaLore.Planner.Optimizers;

namespace GaLore.Planner.Capacity;

/// <summary>
/// One column of a capacity report: an optimizer name, optionally with peft adapters after a <c>+</c> — <c>adamw+lora</c>
/// (LoRA with <c>LoraConfig</c>'s defaults: r 8, α 8, the architecture's targets, frozen 16-bit base) or
/// <c>adamw+qlora</c> (the same on an NF4 base with double quantization, the QLoRA paper's recipe: Dettmers et al. 2023,
/// arXiv 2305.14314). Rows with adapters answer a different question (fine-tuning a few parameters), so
/// <see cref="Recommendation"/> chooses among full-parameter rows only.
/// </summary>
/// <param name="Spec">The optimizer.</param>
/// <param name="Adapters">The adapters, or null for full-parameter training.</param>
public sealed record CapacityEntry(OptimizerSpec Spec, AdapterSetup? Adapters)
{
    /// <summary>The report's label: the optimizer's canonical name, then <c>+lora</c> or <c>+qlora</c>.</summary>
    public string Label => Adapters is null ? Spec.Name : $"{Spec.Name}+{(Adapters.Quant == BaseQuant.None ? "lora" : "qlora")}";

    /// <summary>Parses <c>NAME</c>, <c>NAME+lora</c> or <c>NAME+qlora</c>; throws <see cref="PlannerInputException"/>.</summary>
    public static CapacityEntry Parse(string text)
    {
        int plus = text.IndexOf('+');
        var spec = OptimizerSpec.Parse(plus < 0 ? text : text[..plus]);
        if (plus < 0) return new CapacityEntry(spec, null);
        var lora = new AdapterSetup(PeftMethod.Lora);
        var adapters = text[(plus + 1)..].Trim().ToLowerInvariant() switch
        {
            "lora" => lora,
            "qlora" => lora with { Quant = BaseQuant.Nf4, DoubleQuant = true },
            var other => throw new PlannerInputException($"report entry '{text}': unknown adapter '{other}' after '+' (use +lora or +qlora)"),
        };
        AdapterSetup.CheckOptimizer(spec);
        return new CapacityEntry(spec, adapters);
    }
}
