using System.CommandLine;
using GaLore.Planner;
using GaLore.Planner.Adapters;

namespace GaLore.Cli.Options;

/// <summary>
/// Adapter fine-tuning as peft does it (<c>LoraConfig</c>; QLoRA's bitsandbytes base): <c>--peft lora|dora</c> with the
/// LoRA knobs and the base's quantization. Without <c>--peft</c> the step trains every parameter, and any of the other
/// options is an error.
/// </summary>
public sealed class AdapterOptions
{
    public readonly Option<string?> Peft = new("--peft")
    {
        Description = "Adapter fine-tuning as peft does it: lora or dora (frozen base without gradients or optimizer states; float32 adapters; " +
                      "the optimizer defaults to adamw, Hugging Face Trainer's)",
    };
    public readonly Option<string?> Rank = new("--lora-r") { Description = "LoRA rank r (default 8, LoraConfig's)" };
    public readonly Option<string?> Alpha = new("--lora-alpha") { Description = "LoRA alpha (default 8; scaling = alpha / r)" };
    public readonly Option<string?> Dropout = new("--lora-dropout") { Description = "LoRA dropout (default 0: no dropout mask)" };
    public readonly Option<string?> Targets = new("--lora-target-modules")
    {
        Description = "Modules that get adapters, peft semantics: comma list (name equal to or ending in .ENTRY), regex:PATTERN (full match), " +
                      "or all-linear (every Linear except lm_head); default: peft's for the architecture (q_proj,v_proj for Llama)",
    };
    public readonly Option<string?> BaseQuant = new("--base-quant")
    {
        Description = "QLoRA: store the frozen base's Linear weights as bitsandbytes does: nf4 or fp4 (4-bit, blocks of 64) or int8",
    };
    public readonly Option<bool> DoubleQuant = new("--double-quant")
    {
        Description = "QLoRA: quantize a 4-bit base's absmax again (8-bit, blocks of 256), bnb_4bit_use_double_quant",
    };

    /// <summary>Adds the options to a command.</summary>
    public void AddTo(Command command)
    {
        foreach (Option o in new Option[] { Peft, Rank, Alpha, Dropout, Targets, BaseQuant, DoubleQuant }) command.Options.Add(o);
    }

    /// <summary>The adapters, or null without <c>--peft</c>; bad values become <see cref="PlannerInputException"/>.</summary>
    public AdapterSetup? Bind(ParseResult r)
    {
        if (r.GetValue(Peft) is not { } method)
        {
            foreach (var o in new Option[] { Rank, Alpha, Dropout, Targets, BaseQuant, DoubleQuant })
                if (r.GetResult(o) is { Implicit: false }) throw new PlannerInputException($"{o.Name} needs --peft lora or --peft dora");
            return null;
        }
        var setup = new AdapterSetup(AdapterSetup.ParseMethod(method));
        if (Values.Int(r.GetValue(Rank), "--lora-r") is { } rank) setup = setup with { Rank = rank };
        if (Values.Double(r.GetValue(Alpha), "--lora-alpha") is { } alpha) setup = setup with { Alpha = alpha };
        if (Values.Double(r.GetValue(Dropout), "--lora-dropout") is { } dropout) setup = setup with { Dropout = dropout };
        if (r.GetValue(Targets) is { } targets) setup = setup with { Targets = PeftTargets.Parse(targets) };
        if (r.GetValue(BaseQuant) is { } quant) setup = setup with { Quant = AdapterSetup.ParseQuant(quant) };
        return (setup with { DoubleQuant = r.GetValue(DoubleQuant) }).Validate();
    }
}
