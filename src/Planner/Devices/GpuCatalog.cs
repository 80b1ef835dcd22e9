using GaLore.Planner.Inputs;

namespace GaLore.Planner.Devices;

/// <summary>
/// Known GPUs, with total memory as <c>nvidia-smi</c> prints it (MiB; from published <c>nvidia-smi</c> output — e.g.
/// L40S 46068 MiB (akash-network/provider-configs#99), B200 183359 MiB (NVIDIA/TensorRT-LLM#10278), V100-SXM2-16GB
/// 16384 MiB (driver 570, 1CatAI/1Cat-vLLM#85), V100 32 GB 32768 MiB (driver 525, Wan-Video/Wan2.1#5) — and vendor spec
/// sheets), and raw capacities such as <c>24GiB</c> or <c>24GB</c> (<see cref="ByteSize"/>).
/// </summary>
public static class GpuCatalog
{
    /// <summary>The catalogue, smallest first within each segment.</summary>
    public static readonly IReadOnlyList<GpuSpec> All =
    [
        new("rtx-3060", "NVIDIA GeForce RTX 3060 12GB", 12288, 8.6),
        new("rtx-3090", "NVIDIA GeForce RTX 3090", 24576, 8.6),
        new("rtx-4060-ti-16gb", "NVIDIA GeForce RTX 4060 Ti 16GB", 16380, 8.9),
        new("rtx-4070-ti-super", "NVIDIA GeForce RTX 4070 Ti SUPER", 16376, 8.9),
        new("rtx-4080", "NVIDIA GeForce RTX 4080", 16376, 8.9),
        new("rtx-4090", "NVIDIA GeForce RTX 4090", 24564, 8.9),
        new("rtx-5090", "NVIDIA GeForce RTX 5090", 32607, 12.0),
        new("rtx-a6000", "NVIDIA RTX A6000", 49140, 8.6),
        new("t4", "NVIDIA T4", 15360, 7.5),
        new("v100-16gb", "Tesla V100-SXM2-16GB", 16384, 7.0),
        new("v100-32gb", "Tesla V100-SXM2-32GB", 32768, 7.0),
        new("l4", "NVIDIA L4", 23034, 8.9),
        new("a10g", "NVIDIA A10G", 23028, 8.6),
        new("l40s", "NVIDIA L40S", 46068, 8.9),
        new("a100-40gb", "NVIDIA A100-SXM4-40GB", 40960, 8.0),
        new("a100-80gb", "NVIDIA A100-SXM4-80GB", 81920, 8.0),
        new("h100-80gb", "NVIDIA H100 80GB HBM3", 81559, 9.0),
        new("h200", "NVIDIA H200", 143771, 9.0),
        new("b200", "NVIDIA B200", 183359, 10.0),
    ];

    /// <summary>Short names people type for catalogue entries.</summary>
    static readonly (string Alias, string Name)[] Aliases =
    [
        ("h100", "h100-80gb"), ("a100", "a100-80gb"), ("v100", "v100-32gb"), ("a6000", "rtx-a6000"),
        ("3060", "rtx-3060"), ("3090", "rtx-3090"), ("4060-ti", "rtx-4060-ti-16gb"), ("4060ti", "rtx-4060-ti-16gb"),
        ("4070-ti-super", "rtx-4070-ti-super"), ("4080", "rtx-4080"), ("4090", "rtx-4090"), ("5090", "rtx-5090"),
    ];

    /// <summary>
    /// Resolves a name (case-insensitive; aliases such as <c>4090</c>, <c>h100</c>, <c>a100</c>) or a raw size
    /// (<c>24GiB</c>, <c>24GB</c>, <c>24576MiB</c>; a bare number means GiB; 256 MiB to 4 TiB). Names are tried first, so
    /// <c>4090</c> is the RTX 4090, not 4090 GiB. Raw sizes get compute capability 9.0.
    /// </summary>
    public static GpuSpec Resolve(string text)
    {
        string t = text.Trim();
        if (Find(t) is { } known) return known;
        if (ByteSize.LooksLikeSize(t))
        {
            long bytes = ByteSize.Parse(t, $"GPU size '{text}'");
            if (bytes < InputBounds.MinGpuBytes)
                throw new PlannerInputException($"GPU size '{text}' is below 256 MiB: no GPU trains anything in less");
            return new GpuSpec(t, $"{t} device", (int)(bytes >> 20), 9.0);
        }
        var names = All.Select(g => g.Name).ToArray();
        throw new PlannerInputException(
            $"unknown GPU '{text}'{DidYouMean.Hint(t, names)}: use one of {string.Join(", ", names)} or a size such as 24GiB");
    }

    /// <summary>A catalogue entry by name or alias; null when there is none.</summary>
    public static GpuSpec? Find(string text)
    {
        string key = text.Trim().ToLowerInvariant().Replace(' ', '-').Replace('_', '-');
        foreach (var g in All)
            if (g.Name == key || g.Name == "rtx-" + key || g.Name.Replace("-", "") == key.Replace("-", ""))
                return g;
        foreach (var (alias, name) in Aliases)
            if (alias == key)
                foreach (var g in All)
                    if (g.Name == name) return g;
        return null;
    }
}
