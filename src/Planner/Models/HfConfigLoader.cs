using System.Text.Json;

namespace GaLore.Planner.Models;

/// <summary>
/// Reads a Hugging Face <c>config.json</c> into a <see cref="ModelConfig"/>: its <c>model_type</c> picks the
/// <see cref="ModelFamily"/> (<see cref="ModelFamilies.All"/>), which reads the fields with its configuration class's
/// defaults. A missing <c>model_type</c> reads as <c>llama</c>.
/// </summary>
public static class HfConfigLoader
{
    /// <summary>Loads and validates a config file; every failure is a <see cref="PlannerInputException"/>.</summary>
    public static ModelConfig Load(string path)
    {
        if (Directory.Exists(path)) path = Path.Combine(path, "config.json");
        if (!File.Exists(path)) throw new PlannerInputException($"model config '{path}' not found");
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PlannerInputException($"model config '{path}' cannot be read: {e.Message}", e);
        }
        return Parse(text, path);
    }

    /// <summary>Parses config text; <paramref name="name"/> labels the model and the error messages.</summary>
    public static ModelConfig Parse(string json, string name)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }); }
        catch (JsonException e)
        {
            throw new PlannerInputException($"model config '{name}' is not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new PlannerInputException($"model config '{name}' must be a JSON object");
            var reader = new HfConfigReader(root, name);
            reader.Reject("quantized weights are not modelled (the planner sizes bf16/fp32 training)", "quantization_config");
            string modelType = reader.OptionalString("model_type") ?? "llama";
            var family = ModelFamilies.Find(modelType) ?? throw new PlannerInputException(
                $"model config '{name}': model_type '{modelType}' is not supported (supported: {ModelFamilies.Names})");
            return family.Parse(reader).Validate();
        }
    }
}
