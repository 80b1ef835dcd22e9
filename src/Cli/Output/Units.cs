using System.Globalization;

namespace GaLore.Cli.Output;

/// <summary>Human units. The CLI reports binary gibibytes (GiB = 2³⁰ bytes) everywhere and says so.</summary>
public static class Units
{
    const double GiB = 1L << 30, MiB = 1L << 20;

    /// <summary>Bytes as GiB with two decimals, e.g. "21.37 GiB".</summary>
    public static string Gib(long bytes) => (bytes / GiB).ToString("0.00", CultureInfo.InvariantCulture) + " GiB";

    /// <summary>Bytes as a bare GiB number with two decimals.</summary>
    public static string GibNumber(long bytes) => (bytes / GiB).ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>Bytes as MiB with one decimal.</summary>
    public static string Mib(long bytes) => (bytes / MiB).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";

    /// <summary>A count with thousands separators.</summary>
    public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A parameter count in millions or billions, e.g. "6.74 B".</summary>
    public static string Params(long n) => n >= 1_000_000_000
        ? (n / 1e9).ToString("0.00", CultureInfo.InvariantCulture) + " B"
        : (n / 1e6).ToString("0.0", CultureInfo.InvariantCulture) + " M";

    /// <summary>A ratio as a percentage with one decimal.</summary>
    public static string Percent(double fraction) => (fraction * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %";
}
