using System.Text.Json;

namespace GaLore.Planner.Models;

/// <summary>
/// Reads a Hugging Face <c>config.json</c> of the Llama, Mistral or Qwen2 families into a
/// <see cref="ModelConfig"/>. Defaults follow <c>transformers</c>' <c>LlamaConfig</c>,
/// <c>MistralConfig</c> and <c>Qwen2Config</c>: <c>num_key_value_heads</c> defaults to the query
/// heads, <c>head_dim</c> to hidden / heads, <c>tie_word_embeddings</c> to false; Qwen2 always has
/// q/k/v biases and no o_proj bias; Llama's <c>attention_bias</c> puts biases on q, k, v and o.
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
            string modelType = GetString(root, "model_type", name) ?? "llama";
            var family = modelType switch
            {
                "llama" => ModelFamily.Llama,
                "mistral" => ModelFamily.Mistral,
                "qwen2" => ModelFamily.Qwen2,
                _ => throw new PlannerInputException(
                    $"model config '{name}': model_type '{modelType}' is not supported (supported: llama, mistral, qwen2)"),
            };
            int hidden = Required(root, "hidden_size", name);
            int heads = Required(root, "num_attention_heads", name);
            int kvHeads = Optional(root, "num_key_value_heads", name) ?? heads;
            int headDim = Optional(root, "head_dim", name) ?? (heads > 0 ? hidden / heads : 0);
            bool attentionBias = GetBool(root, "attention_bias", name) ?? false;
            return new ModelConfig(
                name, family,
                Required(root, "vocab_size", name), hidden, Required(root, "intermediate_size", name),
                Required(root, "num_hidden_layers", name), heads, kvHeads, headDim,
                TieWordEmbeddings: GetBool(root, "tie_word_embeddings", name) ?? false,
                QkvBias: family == ModelFamily.Qwen2 || attentionBias,
                OutputBias: family != ModelFamily.Qwen2 && attentionBias,
                MlpBias: family == ModelFamily.Llama && (GetBool(root, "mlp_bias", name) ?? false),
                MaxPositionEmbeddings: Optional(root, "max_position_embeddings", name) ?? 4096).Validate();
        }
    }

    static int Required(JsonElement root, string field, string name) =>
        Optional(root, field, name) ?? throw new PlannerInputException($"model config '{name}' lacks required field '{field}'");

    static int? Optional(JsonElement root, string field, string name)
    {
        if (!root.TryGetProperty(field, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int value))
            throw new PlannerInputException($"model config '{name}': field '{field}' must be an integer, got {e.GetRawText()}");
        return value;
    }

    static bool? GetBool(JsonElement root, string field, string name)
    {
        if (!root.TryGetProperty(field, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        return e.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new PlannerInputException($"model config '{name}': field '{field}' must be true or false, got {e.GetRawText()}"),
        };
    }

    static string? GetString(JsonElement root, string field, string name)
    {
        if (!root.TryGetProperty(field, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        if (e.ValueKind != JsonValueKind.String)
            throw new PlannerInputException($"model config '{name}': field '{field}' must be a string, got {e.GetRawText()}");
        return e.GetString();
    }
}
