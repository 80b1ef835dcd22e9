using System.Text.Json;
using System.Text.Json.Serialization;

namespace GaLore.Profiler.Measurement;

/// <summary>
/// JSON of <see cref="ProfileRequest"/> and <see cref="ProfileResult"/>: snake_case names, enums as snake_case
/// strings, one line per document (so a result is one stdout line). Non-finite losses are written as strings
/// ("NaN", "Infinity") rather than failing.
/// </summary>
public static class ProfileJson
{
    /// <summary>The serializer options.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    static JsonSerializerOptions Create()
    {
        var o = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DictionaryKeyPolicy = null,
            WriteIndented = false,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };
        foreach (var c in GaLore.Planner.Memory.StepSpecJson.Converters) o.Converters.Add(c);
        return o;
    }

    public static string Serialize(ProfileRequest request) => JsonSerializer.Serialize(request, Options);

    public static string Serialize(ProfileResult result) => JsonSerializer.Serialize(result, Options);

    /// <summary>Parses a request; throws <see cref="JsonException"/> or <see cref="ArgumentException"/> with the reason.</summary>
    public static ProfileRequest ParseRequest(string json)
    {
        try { return JsonSerializer.Deserialize<ProfileRequest>(json, Options) ?? throw new ArgumentException("profile request is null"); }
        catch (GaLore.Planner.PlannerInputException e) { throw new ArgumentException(e.Message, e); }
    }

    /// <summary>Finds the result line in a worker's stdout: the last line that is a JSON object with the
    /// <see cref="ProfileResult.FormatTag"/> format. Null when there is none.</summary>
    public static ProfileResult? FindResult(string stdout)
    {
        var lines = stdout.Split('\n');
        for (int k = lines.Length - 1; k >= 0; k--)
        {
            var line = lines[k].Trim();
            if (!line.StartsWith('{') || !line.Contains(ProfileResult.FormatTag, StringComparison.Ordinal)) continue;
            try
            {
                var result = JsonSerializer.Deserialize<ProfileResult>(line, Options);
                if (result?.Format == ProfileResult.FormatTag) return result;
            }
            catch (JsonException)
            {
            }
        }
        return null;
    }
}
