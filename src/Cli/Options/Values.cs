using System.Globalization;
using GaLore.Planner;

namespace GaLore.Cli.Options;

/// <summary>
/// Parses numeric option values. Options are declared as strings and parsed here, so every bad value gets
/// the same one-line message naming the option (and start-up does not pay for a generic option type per
/// numeric type).
/// </summary>
public static class Values
{
    /// <summary>An integer, or null when the option was not given.</summary>
    public static int? Int(string? text, string option)
    {
        if (text is null) return null;
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)
            ? v : throw new PlannerInputException($"{option} must be an integer, got '{text}'");
    }

    /// <summary>A number, or null when the option was not given.</summary>
    public static double? Double(string? text, string option)
    {
        if (text is null) return null;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
            ? v : throw new PlannerInputException($"{option} must be a number, got '{text}'");
    }

    /// <summary>A positive integer with a default.</summary>
    public static int PositiveInt(string? text, string option, int fallback)
    {
        int v = Int(text, option) ?? fallback;
        return v > 0 ? v : throw new PlannerInputException($"{option} must be a positive integer, got {v}");
    }

    /// <summary>A non-negative number of GiB, in bytes.</summary>
    public static long GibBytes(string? text, string option, double fallbackGib)
    {
        double v = Double(text, option) ?? fallbackGib;
        return v >= 0 ? (long)(v * (1L << 30)) : throw new PlannerInputException($"{option} must be a non-negative number of GiB, got {text}");
    }
}
