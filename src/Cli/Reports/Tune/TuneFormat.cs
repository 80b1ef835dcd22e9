using System.Globalization;
using GaLore.Kernels.Projection;

namespace GaLore.Cli.Reports.Tune;

/// <summary>Number and name formats shared by the tune report, its JSON and its console summary (invariant culture).</summary>
public static class TuneFormat
{
    /// <summary>GiB (2³⁰ bytes) with two decimals, no unit.</summary>
    public static string Gib(long bytes) => (bytes / (double)(1L << 30)).ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>A fraction as a percentage: "2.1 %" (two significant decimals below 1 %).</summary>
    public static string Pct(double fraction)
    {
        double p = fraction * 100;
        return (Math.Abs(p) < 1 ? p.ToString("0.00", CultureInfo.InvariantCulture) : p.ToString("0.0", CultureInfo.InvariantCulture)) + " %";
    }

    /// <summary>Seconds with three significant figures or more: "0.0123", "1.23", "123".</summary>
    public static string Seconds(double s) => s switch
    {
        < 0.01 => s.ToString("0.00000", CultureInfo.InvariantCulture),
        < 1 => s.ToString("0.0000", CultureInfo.InvariantCulture),
        < 100 => s.ToString("0.00", CultureInfo.InvariantCulture),
        _ => s.ToString("0", CultureInfo.InvariantCulture),
    };

    /// <summary>A number with N decimals.</summary>
    public static string Num(double v, int decimals = 2) => v.ToString("F" + decimals, CultureInfo.InvariantCulture);

    /// <summary>An integer with thousands separators.</summary>
    public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>FLOPs as "1.23e13".</summary>
    public static string Sci(double v) => v.ToString("0.00e0", CultureInfo.InvariantCulture);

    /// <summary>"svd" or "randomized", as <c>--refresh</c> spells them.</summary>
    public static string Method(RefreshMethod m) => m == RefreshMethod.Svd ? "svd" : "randomized";

    /// <summary>Human name of a method.</summary>
    public static string MethodName(RefreshMethod m) => m == RefreshMethod.Svd ? "SVD" : "randomized range finder";
}
