using GaLore.Planner.Devices;
using GaLore.Planner.Search;

namespace GaLore.Planner.Fit;

/// <summary>A catalogue GPU on which the same run fits, with its predicted peak and headroom.</summary>
/// <param name="Gpu">The card.</param>
/// <param name="PeakBytes">Device-used peak on it (its cuBLAS workspace differs by architecture).</param>
/// <param name="UsableBytes">Its capacity less the query's reserve.</param>
public sealed record GpuThatFits(GpuSpec Gpu, long PeakBytes, long UsableBytes);

/// <summary>
/// What else fits when a query does not: the catalogue GPUs on which the very same run fits (same reserve and CUDA
/// context) and the largest batch with activation checkpointing at the query's sequence length (the longest sequence that
/// fits is <see cref="FitResult.MaxSeq"/>, given whether or not it fits). Every answer is an exact search
/// (<see cref="AxisSearch"/>) or a full evaluation.
/// </summary>
/// <param name="Gpus">Catalogue GPUs that fit the run, smallest capacity first.</param>
/// <param name="MaxBatchWithCheckpointing">Largest batch with checkpointing at the query's sequence length (0: none).</param>
public sealed record FitAlternatives(IReadOnlyList<GpuThatFits> Gpus, int MaxBatchWithCheckpointing)
{
    /// <summary>Computes the alternatives of a query that does not fit.</summary>
    public static FitAlternatives For(FitQuery query, DevicePrograms program)
    {
        var gpus = new List<GpuThatFits>();
        var compiled = new Dictionary<double, DevicePrograms>();
        foreach (var gpu in GpuCatalog.All)
        {
            long usable = gpu.CapacityBytes - query.ReserveBytes;
            if (usable <= query.ContextBytes) continue;
            if (!compiled.TryGetValue(gpu.ComputeCapability, out var p))
                compiled[gpu.ComputeCapability] = p = DevicePrograms.Compile(query.Step, DeviceProfile.Cuda(gpu.ComputeCapability, query.ContextBytes));
            if (!p.FitsWithin(query.Batch, query.Seq, usable)) continue;
            gpus.Add(new GpuThatFits(gpu, p.DeviceUsedBytes(query.Batch, query.Seq), usable));
        }
        gpus.Sort((a, b) => a.Gpu.CapacityBytes.CompareTo(b.Gpu.CapacityBytes));
        var ckpt = query.Step.Checkpointing ? program : DevicePrograms.Compile(query.Step with { Checkpointing = true }, query.Device);
        int ckptBatch = AxisSearch.MaxBatch(ckpt, query.Seq, query.UsableBytes);
        return new FitAlternatives(gpus, ckptBatch);
    }
}
