using System.Globalization;
using GaLore.Planner;
using GaLore.Planner.Inputs;

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

    /// <summary>A positive integer with a default, at most <paramref name="max"/> (a physical bound, see <see cref="InputBounds"/>).</summary>
    public static int PositiveInt(string? text, string option, int fallback, int max = int.MaxValue)
    {
        int v = Int(text, option) ?? fallback;
        if (v <= 0) throw new PlannerInputException($"{option} must be a positive integer, got {v}");
        return v <= max ? v : throw new PlannerInputException($"{option} is {v:N0}, beyond any real run (at most {max:N0})");
    }

    /// <summary>A memory size in bytes (<see cref="ByteSize"/>: units as written, a bare number is GiB), or the fallback.</summary>
    public static long Bytes(string? text, string option, long fallbackBytes) =>
        text is null ? fallbackBytes : ByteSize.Parse(text, option);
}
