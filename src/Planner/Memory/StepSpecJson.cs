using System.Text.Json;
using System.Text.Json.Serialization;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Memory;

/// <summary>
/// JSON of a whole <see cref="StepSpec"/> (snake_case), so the profiler's worker receives exactly the step the planner
/// evaluates — model configuration, optimizer name with every knob, precision, checkpointing, attention, runtime,
/// refresh — with no re-encoding into strings and back. Catalogue objects travel by name (family by
/// <c>model_type</c>, optimizer by its HF name, runtime by its name) and are looked up again on reading.
/// </summary>
public static class StepSpecJson
{
    /// <summary>Converters for the planner's types inside a step; add them to any options that serialize one.</summary>
    public static IReadOnlyList<JsonConverter> Converters { get; } =
    [
        new ModelFamilyJsonConverter(),
        new NamedConverter<OptimizerSpec>(s => s.Name, OptimizerSpec.Parse),
        new NamedConverter<TargetModules>(t => t.ToString(), TargetModules.Parse),
        new NamedConverter<Adapters.PeftTargets>(t => t.ToString(), Adapters.PeftTargets.Parse),
        new NamedConverter<RuntimeProfile>(r => r.Name, RuntimeProfile.Parse),
        new NamedConverter<Precision>(p => p.Name, Precision.Parse),
        new NamedConverter<Parallel.ShardingStrategy>(s => s.Name, Parallel.Strategies.Parse),
        new OptimizerArgsConverter(),
        new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower),
    ];

    /// <summary>Options for a step alone.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    static JsonSerializerOptions Create()
    {
        var o = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = false };
        foreach (var c in Converters) o.Converters.Add(c);
        return o;
    }

    /// <summary>The step as one line of JSON.</summary>
    public static string Serialize(StepSpec step) => JsonSerializer.Serialize(step, Options);

    /// <summary>Reads a step back; a name that no longer resolves is a <see cref="JsonException"/> naming it.</summary>
    public static StepSpec Deserialize(string json)
    {
        try { return JsonSerializer.Deserialize<StepSpec>(json, Options) ?? throw new JsonException("step is null"); }
        catch (PlannerInputException e) { throw new JsonException(e.Message, e); }
    }

    /// <summary>A catalogue object written as its name.</summary>
    sealed class NamedConverter<T>(Func<T, string> name, Func<string, T> parse) : JsonConverter<T>
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.String) throw new JsonException($"{typeof(T).Name} must be a string");
            try { return parse(reader.GetString()!); }
            catch (PlannerInputException e) { throw new JsonException(e.Message, e); }
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(name(value));
    }

    /// <summary>An optimizer family's knobs as an object of strings.</summary>
    sealed class OptimizerArgsConverter : JsonConverter<OptimizerArgs>
    {
        public override OptimizerArgs Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            new(JsonSerializer.Deserialize<Dictionary<string, string>>(ref reader) ?? []);

        public override void Write(Utf8JsonWriter writer, OptimizerArgs value, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            foreach (var kv in value.Values.OrderBy(kv => kv.Key, StringComparer.Ordinal)) writer.WriteString(kv.Key, kv.Value);
            writer.WriteEndObject();
        }
    }
}
