using GaLore.Planner;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;

namespace GaLore.Profiler.Tuning;

/// <summary>
/// One distinct shape among the weights GaLore projects, with how many weights have it. A refresh recomputes the
/// projector of every one of them (Zhao et al. 2024, arXiv 2403.03507, Alg. 2), so a refresh step costs
/// Σ count × (one refresh of the shape).
/// </summary>
/// <param name="Rows">m, the weight's rows (<c>nn.Linear</c> out_features).</param>
/// <param name="Cols">n, its columns (in_features).</param>
/// <param name="Count">Projected weights of this shape in the model.</param>
/// <param name="Example">One of them, e.g. <c>model.layers.0.self_attn.q_proj.weight</c>.</param>
public sealed record ProjectedShape(long Rows, long Cols, int Count, string Example)
{
    /// <summary>min(m, n): the largest rank a projector of this shape can have.</summary>
    public long SmallerSide => Math.Min(Rows, Cols);

    /// <summary>m · n.</summary>
    public long Elements => Rows * Cols;

    /// <summary>"m×n".</summary>
    public string Label => $"{Rows}×{Cols}";
}

/// <summary>Finds the projected weight shapes of a model from the planner's <see cref="ParameterTable"/> and HF's target
/// selection (<see cref="OptimizerSetup.SelectGaLore"/>): the same weights the planner sizes and the kernels project.</summary>
public static class ProjectedShapes
{
    /// <summary>Distinct shapes in the order they first appear in the model (for Llama: attention, then MLP up, then
    /// MLP down). Throws <see cref="PlannerInputException"/> when the optimizer is not a GaLore one or the targets match
    /// nothing. The rank is not checked here (tune skips ranks that are too large instead of failing).</summary>
    public static IReadOnlyList<ProjectedShape> Of(ModelConfig model, OptimizerSetup setup)
    {
        if (!setup.Spec.GaLore)
            throw new PlannerInputException(
                $"--optim {setup.Spec.Name} does not use GaLore: tune chooses GaLore's rank and update_proj_gap; use a galore_* optimizer");
        var table = ParameterTable.Build(model);
        var mask = (setup with { GaLore = setup.GaLore with { Rank = 1 } }).SelectGaLore(table);
        var shapes = new List<ProjectedShape>();
        for (int k = 0; k < table.Count; k++)
        {
            if (!mask[k]) continue;
            var t = table[k];
            int at = shapes.FindIndex(s => s.Rows == t.Rows && s.Cols == t.Cols);
            if (at < 0) shapes.Add(new ProjectedShape(t.Rows, t.Cols, 1, t.Name));
            else shapes[at] = shapes[at] with { Count = shapes[at].Count + 1 };
        }
        return shapes;
    }

    /// <summary>The smallest side over all shapes: ranks above it cannot be used (HF raises; the SVD has fewer vectors).</summary>
    public static long SmallestSide(IReadOnlyList<ProjectedShape> shapes) =>
        shapes.Count == 0 ? throw new ArgumentException("no projected shapes", nameof(shapes)) : shapes.Min(s => s.SmallerSide);
}
