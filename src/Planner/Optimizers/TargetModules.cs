using System.Text.RegularExpressions;

namespace GaLore.Planner.Optimizers;

/// <summary>
/// Hugging Face's <c>optim_target_modules</c> semantics (<c>transformers.trainer_utils.check_target_module_exists</c>
/// and <c>Trainer._get_galore_optimizer</c>):
/// <list type="bullet">
/// <item>a single string is a regular expression that must match the whole module name;</item>
/// <item>a list matches a module whose name equals an entry, contains an entry, or fully matches an entry as a regex;</item>
/// <item><c>"all-linear"</c> selects every <c>nn.Linear</c> (lm_head included).</item>
/// </list>
/// Only <c>nn.Linear</c> weights are ever selected; a selection matching none is an error.
/// On the command line a comma-separated value is the list form, <c>regex:PATTERN</c> the string form.
/// </summary>
public sealed class TargetModules
{
    readonly string? pattern;
    readonly FullMatch? regex;
    readonly string[] entries;
    readonly FullMatch?[] entryRegexes;

    /// <summary>The seed example's default, <c>["attn", "mlp"]</c>.</summary>
    public static readonly TargetModules Default = FromList(["attn", "mlp"]);

    /// <summary>Whether this is the <c>all-linear</c> selection.</summary>
    public bool AllLinear { get; }

    /// <summary>How a user would write it on the command line.</summary>
    public string Text { get; }

    TargetModules(string text, bool allLinear, string? pattern, string[] entries)
    {
        Text = text;
        AllLinear = allLinear;
        this.pattern = pattern;
        this.entries = entries;
        regex = pattern is null ? null : new FullMatch(pattern);
        // A plain name as a full-match regex is just equality, which Matches already tests: only real patterns
        // pay for a Regex (and only they load System.Text.RegularExpressions).
        entryRegexes = new FullMatch?[entries.Length];
        for (int k = 0; k < entries.Length; k++)
            if (entries[k].AsSpan().IndexOfAny(RegexMetacharacters) >= 0) entryRegexes[k] = new FullMatch(entries[k]);
    }

    /// <summary>The list form.</summary>
    public static TargetModules FromList(IReadOnlyList<string> names)
    {
        if (names.Count == 0 || names.Any(string.IsNullOrWhiteSpace))
            throw new PlannerInputException("target modules list is empty or has an empty entry");
        return new TargetModules(string.Join(",", names), false, null, names.ToArray());
    }

    /// <summary>Parses the command-line form: <c>all-linear</c>, <c>regex:PATTERN</c>, or <c>a,b,c</c>.</summary>
    public static TargetModules Parse(string text)
    {
        string t = text.Trim();
        if (t.Replace('_', '-').Equals("all-linear", StringComparison.OrdinalIgnoreCase))
            return new TargetModules("all-linear", true, null, []);
        if (t.StartsWith("regex:", StringComparison.Ordinal))
            return new TargetModules(t, false, t["regex:".Length..], []);
        return FromList(t.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>Whether an <c>nn.Linear</c> module of this name is selected for GaLore.</summary>
    public bool Matches(string moduleName)
    {
        if (AllLinear) return true;
        if (regex is not null) return regex.IsMatch(moduleName);
        foreach (var e in entries)
            if (moduleName == e || moduleName.Contains(e, StringComparison.Ordinal)) return true;
        foreach (var r in entryRegexes)
            if (r is not null && r.IsMatch(moduleName)) return true;
        return false;
    }

    const string RegexMetacharacters = @"\^$.|?*+()[]{}";

    public override string ToString() => pattern is null ? Text : $"regex:{pattern}";

    /// <summary>Two selections are equal when they are written the same way (the same matching rules follow).</summary>
    public override bool Equals(object? obj) => obj is TargetModules other && other.ToString() == ToString();

    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);

    /// <summary>A regular expression that must match a whole module name (Python's <c>re.fullmatch</c>; peft's string form too).
    /// The error names the option (<c>what</c>).</summary>
    internal sealed class FullMatch
    {
        const int MaxPatternLength = 4096;
        static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(2);

        readonly Regex regex;

        public FullMatch(string pattern, string what = "target module pattern")
        {
            // The non-backtracking engine matches in time linear in the name for every pattern, so a catastrophic one
            // such as (.+)+x cannot hang the planner; it supports everything but backreferences and lookarounds, which
            // a module-name pattern does not need (those are refused here with the engine's message).
            if (pattern.Length > MaxPatternLength)
                throw new PlannerInputException($"{what} is {pattern.Length:N0} characters long; at most {MaxPatternLength:N0}");
            try { regex = new Regex($"^(?:{pattern})$", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, MatchTimeout); }
            catch (NotSupportedException e) { throw new PlannerInputException($"{what} '{pattern}' uses a construct this planner does not accept: {e.Message}", e); }
            catch (ArgumentException e) { throw new PlannerInputException($"{what} '{pattern}' is not a valid regex: {e.Message}", e); }
        }

        public bool IsMatch(string name)
        {
            try { return regex.IsMatch(name); }
            catch (RegexMatchTimeoutException e) { throw new PlannerInputException($"target module pattern '{regex}' took too long to match '{name}'", e); }
        }
    }
}
