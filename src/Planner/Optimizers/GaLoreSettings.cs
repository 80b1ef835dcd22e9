using System.Globalization;

namespace GaLore.Planner.Optimizers;

/// <summary>
/// GaLore's knobs. Defaults are Hugging Face's (<c>Trainer._get_galore_optimizer</c>: rank 128,
/// update_proj_gap 200, scale 0.25, proj_type std), which also match the paper's runs
/// (α = 0.25, T = 200; the paper used T = 500 for 7B).
/// </summary>
/// <param name="Rank">Target rank r of the projected gradient.</param>
/// <param name="UpdateProjGap">T: the projector is recomputed from an SVD every T steps (at steps 0, T, 2T, …).</param>
/// <param name="Scale">α: the projected-back update is multiplied by it.</param>
/// <param name="ProjType">Which side(s) to project.</param>
public sealed record GaLoreSettings(int Rank = 128, int UpdateProjGap = 200, double Scale = 0.25, ProjectionType ProjType = ProjectionType.Std)
{
    /// <summary>Hugging Face's defaults.</summary>
    public static readonly GaLoreSettings Default = new();

    /// <summary>Rejects non-positive rank or gap and a non-finite scale.</summary>
    public GaLoreSettings Validate()
    {
        if (Rank <= 0) throw new PlannerInputException($"rank must be positive, got {Rank}");
        if (UpdateProjGap <= 0) throw new PlannerInputException($"update_proj_gap must be positive, got {UpdateProjGap}");
        if (!double.IsFinite(Scale) || Scale <= 0) throw new PlannerInputException($"scale must be a positive number, got {Scale}");
        return this;
    }
}

/// <summary>
/// Parses Hugging Face's <c>optim_args</c> string, e.g. <c>"rank=64, update_proj_gap=500, scale=0.25, proj_type=std"</c>
/// (<c>TrainingArguments.optim_args</c>: comma-separated <c>key=value</c> pairs).
/// </summary>
public static class OptimArgs
{
    /// <summary>Keys understood: rank, update_proj_gap, scale, proj_type, and beta1 (Adafactor's first moment).</summary>
    public static ParsedOptimArgs Parse(string? text, GaLoreSettings? start = null)
    {
        var s = start ?? GaLoreSettings.Default;
        double? beta1 = null;
        if (string.IsNullOrWhiteSpace(text)) return new(s, beta1);
        foreach (var raw in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = raw.IndexOf('=');
            if (eq <= 0) throw new PlannerInputException($"optim_args entry '{raw}' is not key=value");
            string key = raw[..eq].Trim().ToLowerInvariant(), value = raw[(eq + 1)..].Trim();
            s = key switch
            {
                "rank" => s with { Rank = Int(key, value) },
                "update_proj_gap" => s with { UpdateProjGap = Int(key, value) },
                "scale" => s with { Scale = Double(key, value) },
                "proj_type" => s with { ProjType = ProjectionTypeNames.Parse(value) },
                "beta1" => s,
                _ => throw new PlannerInputException(
                    $"optim_args key '{key}' is not known (known: rank, update_proj_gap, scale, proj_type, beta1)"),
            };
            if (key == "beta1") beta1 = value.Equals("none", StringComparison.OrdinalIgnoreCase) ? null : Double(key, value);
        }
        return new(s.Validate(), beta1);
    }

    static int Int(string key, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)
            ? v : throw new PlannerInputException($"optim_args {key}='{value}' is not an integer");

    static double Double(string key, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
            ? v : throw new PlannerInputException($"optim_args {key}='{value}' is not a number");
}

/// <summary>What an <c>optim_args</c> string sets.</summary>
/// <param name="Settings">GaLore's knobs.</param>
/// <param name="Beta1">Adafactor's β1 when given (null: no first moment).</param>
public sealed record ParsedOptimArgs(GaLoreSettings Settings, double? Beta1);
