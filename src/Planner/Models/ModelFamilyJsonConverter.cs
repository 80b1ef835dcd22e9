using System.Text.Json;
using System.Text.Json.Serialization;

namespace GaLore.Planner.Models;

/// <summary>Writes a <see cref="ModelFamily"/> as its <c>model_type</c> and reads it back from <see cref="ModelFamilies"/>.</summary>
public sealed class ModelFamilyJsonConverter : JsonConverter<ModelFamily>
{
    public override ModelFamily Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        string? type = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        return (type is null ? null : ModelFamilies.Find(type))
               ?? throw new JsonException($"unknown model family '{type}' (known: {ModelFamilies.Names})");
    }

    public override void Write(Utf8JsonWriter writer, ModelFamily value, JsonSerializerOptions options) => writer.WriteStringValue(value.ModelType);
}
