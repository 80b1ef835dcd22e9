using System.Globalization;

namespace GaLore.Planner.Fit;

/// <summary>How <c>fit</c>'s notes write sizes: binary gibibytes with two decimals, e.g. "1.25 GiB".</summary>
internal static class NoteUnits
{
    /// <summary>Bytes as GiB (2³⁰ bytes).</summary>
    public static string Gib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.00} GiB");
}
