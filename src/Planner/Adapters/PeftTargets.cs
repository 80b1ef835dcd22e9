using GaLore.Planner.Optimizers;

namespace GaLore.Planner.Adapters;

/// <summary>
/// peft's <c>target_modules</c> (<c>tuners_utils.check_target_module_exists</c>, <c>_maybe_include_all_linear_layers</c>),
/// which differs from Hugging Face's <c>optim_target_modules</c>:
/// <list type="bullet">
/// <item>a single string is a regular expression that must match the whole module name (<c>re.fullmatch</c>);</item>
/// <item>a list matches a module whose name equals an entry or ends with <c>"." + entry</c> (no substrings);</item>
/// <item><c>"all-linear"</c> selects every <c>nn.Linear</c> except the output embedding (<c>get_output_embeddings()</c>, lm_head).</item>
/// </list>
/// On the command line a comma-separated value is the list form, <c>regex:PATTERN</c> the string form.
/// </summary>
public sealed class PeftTargets
{
    readonly string[] entries;
    readonly TargetModules.FullMatch? regex;   // only the regex form loads System.Text.RegularExpressions
    readonly string? pattern;

    /// <summary>Whether this is <c>all-linear</c>.</summary>
    public bool AllLinear { get; }

    PeftTargets(bool allLinear, string? pattern, string[] entries)
    {
        AllLinear = allLinear;
        this.pattern = pattern;
        this.entries = entries;
        if (pattern is not null) regex = new TargetModules.FullMatch(pattern, "--lora-target-modules pattern");
    }

    /// <summary>The list form.</summary>
    public static PeftTargets FromList(IReadOnlyList<string> names)
    {
        if (names.Count == 0) throw new PlannerInputException("--lora-target-modules is empty");
        foreach (var n in names)
            if (string.IsNullOrWhiteSpace(n)) throw new PlannerInputException("--lora-target-modules has an empty entry");
        return new PeftTargets(false, null, names.ToArray());
    }

    /// <summary>Parses <c>all-linear</c>, <c>regex:PATTERN</c> or <c>a,b,c</c>.</summary>
    public static PeftTargets Parse(string text)
    {
        string t = text.Trim();
        if (t.Replace('_', '-').Equals("all-linear", StringComparison.OrdinalIgnoreCase)) return new PeftTargets(true, null, []);
        if (t.StartsWith("regex:", StringComparison.Ordinal)) return new PeftTargets(false, t["regex:".Length..], []);
        return FromList(t.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>
    /// peft's default for an architecture (<c>TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING</c>, peft/utils/constants.py):
    /// the decoder families' lists. peft raises for an architecture it has no default for; so does this.
    /// </summary>
    public static PeftTargets DefaultFor(string modelType) => modelType switch
    {
        "llama" or "mistral" or "mixtral" or "qwen2" or "qwen3" or "gemma" or "gemma2" or "gemma3_text" or "opt" or "gptj"
            or "gpt_neo" or "stablelm" => FromList(["q_proj", "v_proj"]),
        "phi" => FromList(["q_proj", "v_proj", "fc1", "fc2"]),
        "gpt2" or "gpt_bigcode" => FromList(["c_attn"]),
        "bloom" or "gpt_neox" or "falcon" => FromList(["query_key_value"]),
        _ => throw new PlannerInputException(
            $"peft has no default target_modules for model_type '{modelType}': pass --lora-target-modules"),
    };

    /// <summary>Whether a module (an <c>nn.Linear</c> unless <see cref="AllLinear"/> has already filtered) is targeted.</summary>
    /// <param name="moduleName">Full module name, e.g. <c>model.layers.0.self_attn.q_proj</c>.</param>
    /// <param name="isOutputEmbedding">Whether the module is the model's output embedding (all-linear leaves it out).</param>
    public bool Matches(string moduleName, bool isOutputEmbedding = false)
    {
        if (AllLinear) return !isOutputEmbedding;
        if (regex is not null) return regex.IsMatch(moduleName);
        foreach (var e in entries)
            if (moduleName == e || (moduleName.Length > e.Length && moduleName.EndsWith(e, StringComparison.Ordinal)
                                    && moduleName[moduleName.Length - e.Length - 1] == '.'))
                return true;
        return false;
    }

    public override string ToString() => AllLinear ? "all-linear" : pattern is not null ? $"regex:{pattern}" : string.Join(",", entries);

    /// <summary>Equal when written the same way.</summary>
    public override bool Equals(object? obj) => obj is PeftTargets other && other.ToString() == ToString();

    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);
}
