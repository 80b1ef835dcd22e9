using System.Text.Json;

namespace GaLore.Planner.Models;

/// <summary>
/// Typed access to one <c>config.json</c> object for a <see cref="ModelFamily"/>'s parser. Every failure is a
/// <see cref="PlannerInputException"/> naming the file and the field. Null values count as absent (as
/// <c>transformers</c> treats <c>None</c>: the config class's default applies).
/// </summary>
public sealed class HfConfigReader(JsonElement root, string name)
{
    /// <summary>The label of the config (preset name or file path), used in messages and as the model's name.</summary>
    public string Name { get; } = name;

    /// <summary>Whether the field is present with a non-null value.</summary>
    public bool Has(string field) => root.TryGetProperty(field, out var e) && e.ValueKind != JsonValueKind.Null;

    /// <summary>Whether the field is present and null (Python's <c>None</c>: for a field whose class default is a value, an
    /// explicit null switches the feature off, e.g. Gemma-2's <c>final_logit_softcapping</c>).</summary>
    public bool IsExplicitNull(string field) => root.TryGetProperty(field, out var e) && e.ValueKind == JsonValueKind.Null;

    /// <summary>The field names present with a non-null value.</summary>
    public IEnumerable<string> Fields()
    {
        foreach (var p in root.EnumerateObject())
            if (p.Value.ValueKind != JsonValueKind.Null) yield return p.Name;
    }

    /// <summary>A required integer field.</summary>
    public int Int(string field) =>
        OptionalInt(field) ?? throw new PlannerInputException($"model config '{Name}' lacks required field '{field}'");

    /// <summary>An integer field, or null when absent.</summary>
    public int? OptionalInt(string field)
    {
        if (!root.TryGetProperty(field, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int value))
            throw new PlannerInputException($"model config '{Name}': field '{field}' must be an integer, got {Short(e)}");
        return value;
    }

    /// <summary>A number field, or null when absent.</summary>
    public double? OptionalDouble(string field)
    {
        if (!root.TryGetProperty(field, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetDouble(out double value) || !double.IsFinite(value))
            throw new PlannerInputException($"model config '{Name}': field '{field}' must be a number, got {Short(e)}");
        return value;
    }

    /// <summary>A boolean field, or null when absent.</summary>
    public bool? OptionalBool(string field)
    {
        if (!root.TryGetProperty(field, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        return e.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new PlannerInputException($"model config '{Name}': field '{field}' must be true or false, got {Short(e)}"),
        };
    }

    /// <summary>A string field, or null when absent.</summary>
    public string? OptionalString(string field)
    {
        if (!root.TryGetProperty(field, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        if (e.ValueKind != JsonValueKind.String)
            throw new PlannerInputException($"model config '{Name}': field '{field}' must be a string, got {Short(e)}");
        return e.GetString();
    }

    /// <summary>A list of integers, or null when absent.</summary>
    public int[]? OptionalIntList(string field)
    {
        if (!root.TryGetProperty(field, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        if (e.ValueKind != JsonValueKind.Array)
            throw new PlannerInputException($"model config '{Name}': field '{field}' must be a list of integers, got {Short(e)}");
        var list = new List<int>();
        foreach (var x in e.EnumerateArray())
        {
            if (x.ValueKind != JsonValueKind.Number || !x.TryGetInt32(out int v))
                throw new PlannerInputException($"model config '{Name}': field '{field}' must be a list of integers, got {Short(x)}");
            list.Add(v);
        }
        return list.ToArray();
    }

    /// <summary>A list of strings, or null when absent.</summary>
    public string[]? OptionalStringList(string field)
    {
        if (!root.TryGetProperty(field, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        if (e.ValueKind != JsonValueKind.Array)
            throw new PlannerInputException($"model config '{Name}': field '{field}' must be a list of strings, got {Short(e)}");
        var list = new List<string>();
        foreach (var x in e.EnumerateArray())
        {
            if (x.ValueKind != JsonValueKind.String)
                throw new PlannerInputException($"model config '{Name}': field '{field}' must be a list of strings, got {Short(x)}");
            list.Add(x.GetString()!);
        }
        return list.ToArray();
    }

    /// <summary>A nested object (e.g. Gemma-3's <c>text_config</c>), or null when absent.</summary>
    public HfConfigReader? OptionalObject(string field)
    {
        if (!root.TryGetProperty(field, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        if (e.ValueKind != JsonValueKind.Object)
            throw new PlannerInputException($"model config '{Name}': field '{field}' must be an object, got {Short(e)}");
        return new HfConfigReader(e, Name);
    }

    /// <summary>Fails when any of <paramref name="fields"/> is present: keys that change memory in a way this family does
    /// not model (a silent dense model would be a wrong answer).</summary>
    public void Reject(string why, params string[] fields)
    {
        foreach (var f in fields)
            if (Has(f)) throw new PlannerInputException($"model config '{Name}': field '{f}' is not supported: {why}");
    }

    static string Short(JsonElement e)
    {
        string raw = e.GetRawText();
        return raw.Length <= 40 ? raw : raw[..40] + "…";
    }
}
