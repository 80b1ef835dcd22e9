using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Optimizers;

/// <summary>
/// The optimizer state each parameter keeps between steps, tensor by tensor, with the dtypes the reference
/// implementations use: the family's states (<see cref="OptimizerModel.AddStates"/>) for the shape it sees, and under
/// GaLore (Zhao et al. 2024, arXiv 2403.03507, Alg. 2) the projector matrix (<c>galore_torch.GaLoreProjector.ortho_matrix</c>)
/// in the dtype the family computes in, with the family's states sized for the projected gradient. How much the projector
/// keeps alive depends on the runtime (<see cref="RuntimeProfile.ProjectorElements"/>: galore-torch keeps a float32 projector
/// as a view of the whole SVD factor). This project's TorchSharp optimizers keep exactly the tensors listed for
/// <see cref="RuntimeProfile.TorchSharpKernels"/> (tests compare their bytes with <see cref="Bytes"/>).
/// </summary>
public static class StateLayout
{
    /// <summary>Lists the state tensors of one parameter as <paramref name="runtime"/> keeps them.</summary>
    public static IReadOnlyList<StateTensor> Describe(ParameterTensor p, bool galore, OptimizerSetup setup, Precision precision, RuntimeProfile runtime)
    {
        var list = new List<StateTensor>(5);
        var model = setup.Spec.Model;
        var shape = new StateShape(p.Rows, p.Cols, p.IsMatrix) { Count = p.Count };
        if (galore)
        {
            var g = ProjectionGeometry.For(p.Rows, p.Cols, setup.GaLore.Rank, setup.GaLore.ProjType);
            var type = model.ComputeType(precision);
            list.Add(new StateTensor("projector", runtime.ProjectorElements(g, type), type));
            shape = new StateShape(g.LowRankRows, g.LowRankCols, true);
        }
        model.AddStates(shape, setup, precision, list);
        return list;
    }

    /// <summary>Total state bytes of one parameter on <paramref name="runtime"/> (the tensors of <see cref="Describe(ParameterTensor, bool, OptimizerSetup, Precision, RuntimeProfile)"/>,
    /// each rounded as the allocator rounds).</summary>
    public static long Bytes(ParameterTensor p, bool galore, OptimizerSetup setup, Precision precision, RuntimeProfile runtime,
        AllocationRounding rounding = AllocationRounding.None)
    {
        long total = 0;
        foreach (var t in Describe(p, galore, setup, precision, runtime)) total += Memory.Rounding.Apply(t.Bytes, rounding);
        return total;
    }
}
