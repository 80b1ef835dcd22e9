namespace GaLore.Planner.Models;

/// <summary>
/// Turns the <c>--model</c> argument into a model, in this order: (1) an existing <c>config.json</c> file, or a folder
/// holding one; (2) a built-in preset, by name or Hugging Face id (<see cref="ModelPresets.Find"/>); (3) a Hub id
/// (<c>org/name</c>) found in the local Hugging Face cache (<see cref="HfHubCache"/>; no network); otherwise one line
/// saying where it looked. A path that does not exist is reported as such, not searched for in the cache.
/// A bare preset name (no directory separator, not <c>*.json</c>: <c>llama-7b</c>) is the preset without asking the file
/// system — <c>./llama-7b</c> names a folder of that name — because the first relative-path check of a process costs
/// about 3 ms of <c>fit</c>'s start-up (resolving it against the working directory decodes that directory's UTF-8 name,
/// cold code measured here with a hello-world that does only that).
/// </summary>
public static class ModelResolver
{
    /// <summary>Resolves with the process environment.</summary>
    public static ModelConfig Resolve(string modelArgument) => Resolve(modelArgument, Environment.GetEnvironmentVariable);

    /// <summary>Resolves with <paramref name="env"/> for the cache's environment variables (tests pass a fake one).</summary>
    public static ModelConfig Resolve(string modelArgument, Func<string, string?> env)
    {
        if (string.IsNullOrWhiteSpace(modelArgument)) throw new PlannerInputException("--model is empty");
        string arg = modelArgument.Trim();
        if (IsBareName(arg) && ModelPresets.Find(arg) is { } named) return named;
        if (File.Exists(arg) || (Directory.Exists(arg) && (File.Exists(Path.Combine(arg, "config.json")) || Directory.Exists(Path.Combine(arg, "config.json")))))
            return HfConfigLoader.Load(arg);
        if (ModelPresets.Find(arg) is { } preset) return preset;
        bool hubId = HfHubCache.IsRepoId(arg) && !arg.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
        if (hubId)
        {
            if (HfHubCache.FindConfig(arg, env, out string looked) is { } cached) return HfConfigLoader.Load(cached, arg);
            throw new PlannerInputException(
                $"model '{arg}' is not a preset, not a file here, and not in the local Hugging Face cache (looked in {looked}); " +
                "download it (huggingface-cli download " + arg + " config.json) or pass a config.json");
        }
        bool looksLikePath = arg.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || arg.Contains('/') || arg.Contains('\\')
                             || Directory.Exists(arg);
        if (looksLikePath) return HfConfigLoader.Load(arg);
        var names = ModelPresets.Catalog.Select(p => p.Name).ToArray();
        throw new PlannerInputException(
            $"unknown model '{arg}'{Inputs.DidYouMean.Hint(arg, names)}: use a preset ({string.Join(", ", names)}), its Hugging Face id (org/name) or a path to a config.json");
    }

    /// <summary>Whether the argument is a bare name: no directory separator, not a <c>.json</c> file name.</summary>
    static bool IsBareName(string arg) =>
        arg.IndexOf('/') < 0 && arg.IndexOf('\\') < 0 && !arg.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
}
