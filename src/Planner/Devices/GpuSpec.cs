namespace GaLore.Planner.Devices;

/// <summary>A GPU model as the planner needs it.</summary>
/// <param name="Name">Catalogue key, e.g. <c>rtx-4090</c>.</param>
/// <param name="DisplayName">Marketing name.</param>
/// <param name="TotalMiB">Total device memory as <c>nvidia-smi</c> reports it, in MiB (ECC-enabled data-centre
/// cards report less than their marketing size).</param>
/// <param name="ComputeCapability">CUDA compute capability (e.g. 9.0 for Hopper).</param>
public sealed record GpuSpec(string Name, string DisplayName, int TotalMiB, double ComputeCapability)
{
    /// <summary>Capacity in bytes.</summary>
    public long CapacityBytes => TotalMiB * (1L << 20);

    /// <summary>BF16 matmuls need compute capability 8.0 (Ampere) or newer.</summary>
    public bool SupportsBf16 => ComputeCapability >= 8.0;
}
