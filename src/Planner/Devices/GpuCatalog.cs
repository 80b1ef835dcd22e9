using System.Globalization;

namespace GaLore.Planner.Devices;

/// <summary>
/// Known GPUs, with total memory as <c>nvidia-smi</c> prints it (MiB; from vendor spec sheets and
/// published <c>nvidia-smi</c> output), and raw capacities such as <c>24GiB</c> or <c>24GB</c>.
/// </summary>
public static class GpuCatalog
{
    /// <summary>The catalogue.</summary>
    public static readonly IReadOnlyList<GpuSpec> All =
    [
        new("rtx-3060", "NVIDIA GeForce RTX 3060 12GB", 12288, 8.6),
        new("rtx-3090", "NVIDIA GeForce RTX 3090", 24576, 8.6),
        new("rtx-4090", "NVIDIA GeForce RTX 4090", 24564, 8.9),
        new("rtx-5090", "NVIDIA GeForce RTX 5090", 32607, 12.0),
        new("t4", "NVIDIA T4", 15360, 7.5),
        new("l4", "NVIDIA L4", 23034, 8.9),
        new("a10g", "NVIDIA A10G", 23028, 8.6),
        new("a100-40gb", "NVIDIA A100-SXM4-40GB", 40960, 8.0),
        new("a100-80gb", "NVIDIA A100-SXM4-80GB", 81920, 8.0),
        new("h100-80gb", "NVIDIA H100 80GB HBM3", 81559, 9.0),
        new("h200", "NVIDIA H200", 143771, 9.0),
    ];

    /// <summary>
    /// Resolves a name (case-insensitive; aliases such as <c>4090</c>, <c>h100</c>, <c>a100</c>) or a raw size
    /// (<c>24GiB</c>, <c>24GB</c>, <c>24576MiB</c>; a bare number means GiB). Raw sizes get compute capability 9.0.
    /// </summary>
    public static GpuSpec Resolve(string text)
    {
        string t = text.Trim();
        if (SplitSize(t) is var (number, unit))
        {
            double bytes = number * Unit(unit);
            if (bytes <= 0) throw new PlannerInputException($"GPU size '{text}' must be positive");
            int mib = (int)Math.Floor(bytes / (1 << 20));
            return new GpuSpec(t, $"{t} device", mib, 9.0);
        }
        string key = t.ToLowerInvariant().Replace(' ', '-').Replace('_', '-');
        foreach (var g in All)
            if (g.Name == key || g.Name == "rtx-" + key || g.Name.Replace("-", "") == key.Replace("-", ""))
                return g;
        string? alias = key switch
        {
            "h100" => "h100-80gb",
            "a100" => "a100-80gb",
            "3060" => "rtx-3060",
            "3090" => "rtx-3090",
            "4090" => "rtx-4090",
            "5090" => "rtx-5090",
            _ => null,
        };
        if (alias is not null)
            foreach (var g in All)
                if (g.Name == alias) return g;
        throw new PlannerInputException(
            $"unknown GPU '{text}': use one of {string.Join(", ", All.Select(g => g.Name))} or a size such as 24GiB");
    }

    static double Unit(string unit) => unit.ToLowerInvariant() switch
    {
        "" or "g" or "gib" => 1L << 30,
        "gb" => 1e9,
        "m" or "mib" => 1 << 20,
        "mb" => 1e6,
        "t" or "tib" => 1L << 40,
        "tb" => 1e12,
        _ => throw new PlannerInputException($"unknown size unit '{unit}'"),
    };

    /// <summary>"24GiB" → (24, "GiB"); "80" → (80, ""); anything else → null.</summary>
    static (double Number, string Unit)? SplitSize(string t)
    {
        int k = 0;
        while (k < t.Length && (char.IsAsciiDigit(t[k]) || t[k] == '.')) k++;
        if (k == 0 || !double.TryParse(t.AsSpan(0, k), NumberStyles.Float, CultureInfo.InvariantCulture, out double number)) return null;
        string unit = t[k..].Trim();
        return unit is "" or "g" or "G" or "gib" or "GiB" or "GIB" or "gb" or "GB" or "Gb" or "m" or "M" or "mib" or "MiB" or "MIB"
            or "mb" or "MB" or "t" or "T" or "tib" or "TiB" or "TIB" or "tb" or "TB" ? (number, unit) : null;
    }
}
