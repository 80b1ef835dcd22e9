using System.Globalization;

namespace GaLore.Planner.Inputs;

/// <summary>
/// Memory sizes as users write them, the same for every option that takes one (<c>--gpu</c>, <c>--reserve</c>,
/// <c>--cuda-context</c>): a number with an optional unit — binary <c>B</c>, <c>KiB</c>, <c>MiB</c>, <c>GiB</c>,
/// <c>TiB</c> (also <c>K</c>, <c>M</c>, <c>G</c>, <c>T</c>), or decimal <c>KB</c>, <c>MB</c>, <c>GB</c>, <c>TB</c>
/// (10³ steps, as vendors print them); case-insensitive; a bare number is GiB (2³⁰ bytes). Sizes are at most
/// <see cref="InputBounds.MaxMemoryBytes"/> (4 TiB).
/// </summary>
public static class ByteSize
{
    /// <summary>Parses a size; <paramref name="what"/> names the option in the error message.</summary>
    public static long Parse(string text, string what)
    {
        if (TryParse(text, out long bytes, out string? error)) return bytes;
        throw new PlannerInputException($"{what}: {error}");
    }

    /// <summary>Whether <paramref name="text"/> looks like a size at all (a number first), so a GPU name is not reported as a bad size.</summary>
    public static bool LooksLikeSize(string text)
    {
        string t = text.Trim();
        return t.Length > 0 && (char.IsAsciiDigit(t[0]) || (t[0] == '.' && t.Length > 1 && char.IsAsciiDigit(t[1])) || t[0] == '-' || t[0] == '+');
    }

    /// <summary>Parses without throwing; <paramref name="error"/> says what is wrong.</summary>
    public static bool TryParse(string text, out long bytes, out string? error)
    {
        bytes = 0;
        string t = text.Trim();
        int k = 0;
        if (k < t.Length && t[k] is '+' or '-') k++;
        int digits = k;
        while (k < t.Length && (char.IsAsciiDigit(t[k]) || t[k] == '.')) k++;
        if (k > digits && k < t.Length && t[k] is 'e' or 'E')
        {
            int e = k + 1;
            if (e < t.Length && t[e] is '+' or '-') e++;
            if (e < t.Length && char.IsAsciiDigit(t[e]))
            {
                while (e < t.Length && char.IsAsciiDigit(t[e])) e++;
                k = e;
            }
        }
        if (k == digits || !double.TryParse(t.AsSpan(0, k), NumberStyles.Float, CultureInfo.InvariantCulture, out double number))
        {
            error = $"'{text}' is not a size (write e.g. 24GiB, 80GB, 512MiB; a bare number is GiB)";
            return false;
        }
        if (Unit(t[k..].Trim()) is not { } unit)
        {
            error = $"unknown size unit '{t[k..].Trim()}' in '{text}' (use B, KiB, MiB, GiB, TiB or KB, MB, GB, TB)";
            return false;
        }
        double value = number * unit;
        if (double.IsNaN(value) || value < 0)
        {
            error = $"'{text}' must be a non-negative size";
            return false;
        }
        if (value > InputBounds.MaxMemoryBytes)
        {
            error = $"'{text}' is larger than any GPU (at most 4 TiB)";
            return false;
        }
        bytes = (long)Math.Round(value);
        error = null;
        return true;
    }

    /// <summary>Bytes per unit; null for an unknown unit.</summary>
    static double? Unit(string unit) => unit.ToLowerInvariant() switch
    {
        "" or "g" or "gi" or "gib" => 1L << 30,
        "b" => 1,
        "k" or "ki" or "kib" => 1 << 10,
        "m" or "mi" or "mib" => 1 << 20,
        "t" or "ti" or "tib" => 1L << 40,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        _ => null,
    };
}
