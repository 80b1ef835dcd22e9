namespace GaLore.Planner.Models;

/// <summary>Turns the <c>--model</c> argument (a preset name, or a path to a config.json or its folder) into a model.</summary>
public static class ModelResolver
{
    /// <summary>Resolves a preset first (short name or Hugging Face id, case-insensitive), then a file path; unknown names
    /// list the presets.</summary>
    public static ModelConfig Resolve(string modelArgument)
    {
        if (string.IsNullOrWhiteSpace(modelArgument)) throw new PlannerInputException("--model is empty");
        var preset = ModelPresets.Find(modelArgument);
        if (preset is not null) return preset;
        bool looksLikePath = modelArgument.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
                             || modelArgument.Contains('/') || modelArgument.Contains('\\')
                             || File.Exists(modelArgument) || Directory.Exists(modelArgument);
        if (looksLikePath) return HfConfigLoader.Load(modelArgument);
        throw new PlannerInputException(
            $"unknown model '{modelArgument}': use a preset ({ModelPresets.Names}), its Hugging Face id, or a path to a config.json");
    }
}
