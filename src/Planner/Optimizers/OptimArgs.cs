using System.Globalization;

namespace GaLore.Planner.Optimizers;

/// <summary>
/// Parses Hugging Face's <c>optim_args</c> string, e.g. <c>"rank=64, update_proj_gap=500, scale=0.25, proj_type=std"</c>,
/// as <c>trainer_optimizer._parse_optim_args</c> does: spaces removed, split on commas, each item <c>key=value</c>
/// (values stay text; each optimizer reads the keys it knows). The projection's four keys (rank, update_proj_gap, scale,
/// proj_type) are read for GaLore and APOLLO names; the family's own keys (<see cref="OptimizerModel.Knobs"/>) for every
/// name. A key the optimizer does not read is an error here (Hugging Face ignores most of them silently, which hides typos;
/// torch.optim's classes would raise).
/// </summary>
public static class OptimArgs
{
    /// <summary>GaLore's keys (HF's <c>_get_galore_optimizer</c>).</summary>
    public static readonly IReadOnlyList<string> GaLoreKeys = ["rank", "update_proj_gap", "scale", "proj_type"];

    /// <summary>Parses <paramref name="text"/> for <paramref name="spec"/>, starting from <paramref name="start"/> (HF's defaults).</summary>
    public static ParsedOptimArgs Parse(string? text, OptimizerSpec spec, GaLoreSettings? start = null)
    {
        var s = start ?? spec.ProjectionDefaults;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(text)) return new(s, new OptimizerArgs(values));
        foreach (var raw in text.Replace(" ", "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = raw.IndexOf('=');
            if (eq <= 0 || raw.IndexOf('=', eq + 1) >= 0) throw new PlannerInputException($"optim_args entry '{raw}' is not key=value");
            string key = raw[..eq].ToLowerInvariant(), value = raw[(eq + 1)..];
            if (spec.GaLore)
                switch (key)
                {
                    case "rank": s = s with { Rank = Int(key, value) }; continue;
                    case "update_proj_gap": s = s with { UpdateProjGap = Int(key, value) }; continue;
                    case "scale": s = s with { Scale = Double(key, value) }; continue;
                    case "proj_type": s = s with { ProjType = ProjectionTypeNames.Parse(value) }; continue;
                }
            OptimizerKnob? knob = null;
            foreach (var k in spec.Model.Knobs)
                if (k.Key == key) knob = k;
            if (knob is null)
            {
                string reads = string.Join(", ", KnownKeys(spec));
                throw new PlannerInputException(
                    $"optim_args key '{key}' is not read by {spec.Name} (it reads: {(reads.Length == 0 ? "none" : reads)})");
            }
            values[key] = knob.Normalise(value);
        }
        return new(s.Validate(), new OptimizerArgs(values));
    }

    /// <summary>The keys <paramref name="spec"/> reads.</summary>
    public static IEnumerable<string> KnownKeys(OptimizerSpec spec) =>
        (spec.GaLore ? GaLoreKeys : []).Concat(spec.Model.Knobs.Select(k => k.Key));

    static int Int(string key, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)
            ? v : throw new PlannerInputException($"optim_args {key}='{value}' is not an integer");

    static double Double(string key, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
            ? v : throw new PlannerInputException($"optim_args {key}='{value}' is not a finite number");
}

/// <summary>What an <c>optim_args</c> string sets.</summary>
/// <param name="Settings">GaLore's knobs.</param>
/// <param name="Args">The optimizer family's own knobs that were given.</param>
public sealed record ParsedOptimArgs(GaLoreSettings Settings, OptimizerArgs Args);

/// <summary>Values of an optimizer family's knobs, as given in <c>optim_args</c> (normalised text); absent keys take
/// the knob's default.</summary>
public sealed class OptimizerArgs(IReadOnlyDictionary<string, string> values)
{
    /// <summary>No knob given.</summary>
    public static readonly OptimizerArgs None = new(new Dictionary<string, string>());

    /// <summary>The given values.</summary>
    public IReadOnlyDictionary<string, string> Values { get; } = values;

    /// <summary>A number knob's value: the given one, else <paramref name="knob"/>'s default; null when it is <c>none</c>.</summary>
    public double? Number(OptimizerKnob knob)
    {
        string v = Values.TryGetValue(knob.Key, out var given) ? given : knob.Default;
        return v == "none" ? null : double.Parse(v, CultureInfo.InvariantCulture);
    }

    /// <summary>A text knob's value (a choice or a flag): the given one, else the default.</summary>
    public string Text(OptimizerKnob knob) => Values.TryGetValue(knob.Key, out var given) ? given : knob.Default;

    /// <summary>As HF's <c>optim_args</c> string (<c>key=value</c>, comma-separated, sorted by key); empty when none.</summary>
    public override string ToString()
    {
        if (Values.Count == 0) return "";
        // No LINQ over the dictionary's key-value pairs: that generic code is not precompiled and costs fit's start-up.
        var keys = new string[Values.Count];
        int i = 0;
        foreach (var key in Values.Keys) keys[i++] = key;
        Array.Sort(keys, StringComparer.Ordinal);
        var parts = new string[keys.Length];
        for (i = 0; i < keys.Length; i++) parts[i] = keys[i] + "=" + Values[keys[i]];
        return string.Join(",", parts);
    }

    public override bool Equals(object? obj) => obj is OptimizerArgs o && o.ToString() == ToString();

    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);
}
