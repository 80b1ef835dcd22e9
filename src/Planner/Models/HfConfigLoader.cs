using System.Text.Json;
using GaLore.Planner.Inputs;

namespace GaLore.Planner.Models;

/// <summary>
/// Reads a Hugging Face <c>config.json</c> into a <see cref="ModelConfig"/>: its <c>model_type</c> picks the
/// <see cref="ModelFamily"/> (<see cref="ModelFamilies.All"/>), which reads the fields with its configuration class's
/// defaults. A missing <c>model_type</c> reads as <c>llama</c>.
/// </summary>
public static class HfConfigLoader
{
    /// <summary>Loads and validates a config file (or a folder holding <c>config.json</c>); every failure is a
    /// <see cref="PlannerInputException"/>. The model is named as <see cref="DisplayName"/> says, not by its path.</summary>
    public static ModelConfig Load(string path, string? name = null)
    {
        if (Directory.Exists(path))
        {
            string inside = Path.Combine(path, "config.json");
            if (!File.Exists(inside) && !Directory.Exists(inside))
                throw new PlannerInputException($"model folder '{path}' has no config.json{(Directory.Exists(Path.Combine(path, "snapshots")) ? " (a Hugging Face cache folder: pass the repository id, e.g. org/name)" : "")}");
            path = inside;
        }
        string text = InputFile.ReadText(path, "model config");
        var model = Parse(text, path);
        return model with { Name = name ?? DisplayName(text, path) };
    }

    /// <summary>
    /// How a config-file model is named in output: its <c>_name_or_path</c> when that is a Hub id (<c>org/name</c>, which
    /// <c>save_pretrained</c> writes), else the folder that holds a <c>config.json</c>, else the file's name without
    /// <c>.json</c> — never the whole path (reports travel; a path names the machine, not the model).
    /// </summary>
    public static string DisplayName(string json, string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("_name_or_path", out var n)
                && n.ValueKind == JsonValueKind.String && n.GetString() is { } id && HfHubCache.IsRepoId(id))
                return id;
        }
        catch (JsonException) { }
        string full = Path.GetFullPath(path);
        string file = Path.GetFileName(full);
        if (file.Equals("config.json", StringComparison.OrdinalIgnoreCase) && Path.GetFileName(Path.GetDirectoryName(full)) is { Length: > 0 } folder)
            return folder;
        return file.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? file[..^5] : file;
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
