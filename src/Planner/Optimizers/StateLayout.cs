using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Optimizers;

/// <summary>
/// The optimizer state each parameter keeps between steps, tensor by tensor, with the dtypes the reference
/// implementations use: the family's states (<see cref="OptimizerModel.AddStates"/>) for the shape it sees, and under
/// GaLore or APOLLO (Zhao et al. 2024, arXiv 2403.03507, Alg. 2; Zhu et al. 2024, arXiv 2412.05270) the projector matrix
/// (<c>galore_torch.GaLoreProjector.ortho_matrix</c> / APOLLO's <c>GradientProjector.ortho_matrix</c>) in the dtype the family
/// computes in, with the family's states sized for the projected gradient. How much an SVD projector keeps alive depends on
/// the runtime (<see cref="RuntimeProfile.ProjectorElements"/>: galore-torch keeps a float32 projector as a view of the whole
/// SVD factor); APOLLO's Gaussian projector is always its own r-row tensor. This project's TorchSharp optimizers keep exactly
/// the tensors listed for <see cref="RuntimeProfile.TorchSharpKernels"/> (tests compare their bytes with <see cref="Bytes"/>).
/// </summary>
public static class StateLayout
{
    /// <summary>Lists the state tensors of one parameter as <paramref name="runtime"/> keeps them.</summary>
    public static IReadOnlyList<StateTensor> Describe(ParameterTensor p, bool galore, OptimizerSetup setup, Precision precision, RuntimeProfile runtime)
    {
        var list = new List<StateTensor>(5);
        var model = setup.Spec.Model;
        var shape = new StateShape(p.Rows, p.Cols, p.IsMatrix, p.Kind == TensorKind.Embedding) { Count = p.Count };
        if (galore)
        {
            var g = ProjectionGeometry.For(p.Rows, p.Cols, setup.GaLore.Rank, setup.GaLore.ProjType);
            var type = model.ComputeType(precision);
            long elements = model.RefreshKind(setup) == ProjectionRefresh.Gaussian ? g.ProjectorElements : runtime.ProjectorElements(g, type);
            list.Add(new StateTensor("projector", elements, type));
            shape = new StateShape(g.LowRankRows, g.LowRankCols, true, Projected: true);
        }
        model.AddStates(shape, setup, precision, list);
        return list;
    }

    /// <summary>Total state bytes of one parameter on <paramref name="runtime"/> wherever they live (the tensors of
    /// <see cref="Describe(ParameterTensor, bool, OptimizerSetup, Precision, RuntimeProfile)"/>, each rounded as the allocator rounds).</summary>
    public static long Bytes(ParameterTensor p, bool galore, OptimizerSetup setup, Precision precision, RuntimeProfile runtime,
        AllocationRounding rounding = AllocationRounding.None)
    {
        long total = 0;
        foreach (var t in Describe(p, galore, setup, precision, runtime)) total += Memory.Rounding.Apply(t.Bytes, rounding);
        return total;
    }

    /// <summary>
    /// The state bytes one parameter holds on the device: device tensors rounded as the allocator rounds; paged
    /// (<see cref="StatePlacement.Managed"/>) tensors at their size, reported apart in <see cref="ResidentBytes.Paged"/> when
    /// <paramref name="paging"/> (they bypass PyTorch's allocator), else as device tensors; host tensors only when
    /// <paramref name="hostIsDevice"/> (a CPU run).
    /// </summary>
    public static ResidentBytes Resident(ParameterTensor p, bool galore, OptimizerSetup setup, Precision precision,
        RuntimeProfile runtime, AllocationRounding rounding, bool paging, bool hostIsDevice)
    {
        long total = 0, paged = 0;
        foreach (var t in Describe(p, galore, setup, precision, runtime))
            switch (t.Placement)
            {
                case StatePlacement.Managed when paging:
                    total += t.Bytes;
                    paged += t.Bytes;
                    break;
                case StatePlacement.Host when !hostIsDevice:
                    break;
                case StatePlacement.Device or StatePlacement.Managed or StatePlacement.Host:
                    total += Memory.Rounding.Apply(t.Bytes, rounding);
                    break;
                default:
                    throw new InvalidOperationException($"unknown placement {t.Placement}");
            }
        return new ResidentBytes(total, paged);
    }

    /// <summary>State bytes kept in host RAM (grokadamw 0.1.2), summed over the model.</summary>
    public static long HostBytes(IReadOnlyList<ParameterTensor> table, bool[] galore, OptimizerSetup setup, Precision precision,
        RuntimeProfile runtime)
    {
        long host = 0;
        for (int k = 0; k < table.Count; k++)
            foreach (var t in Describe(table[k], galore[k], setup, precision, runtime))
                if (t.Placement == StatePlacement.Host) host += t.Bytes;
        return host;
    }

    /// <summary>Whether <paramref name="setup"/> keeps quantized states — byte codes: 8-bit, or torchao's 4-bit packed two per
    /// byte — for a large weight matrix, as its model lays them out on this project's runtime (bitsandbytes keeps tensors under
    /// 4,096 elements in 32 bits, so the sample is a 4096 × 4096 projection).</summary>
    public static bool KeepsQuantizedStates(OptimizerSetup setup, Precision precision)
    {
        var matrix = new ParameterTensor("w", "model.layers.0.mlp.up_proj", TensorKind.MlpProjection, 0, 4096, 4096);
        return Describe(matrix, false, setup, precision, RuntimeProfile.TorchSharpKernels).Any(t => t.Type.Bits() == 8);
    }
}

/// <summary>Device-resident state bytes of a parameter.</summary>
/// <param name="Total">All bytes on the device (paged included).</param>
/// <param name="Paged">The part in CUDA unified memory, outside PyTorch's allocator.</param>
public readonly record struct ResidentBytes(long Total, long Paged);
