using GaLore.Planner.Devices;
using GaLore.Planner.Models;
using GaLore.Planner.Parallel;
using GaLore.Planner.Search;

namespace GaLore.Planner.Capacity;

/// <summary>One cell of the "how many GPUs" table: the fewest cards of one GPU that train one model under one strategy.</summary>
/// <param name="Model">The model.</param>
/// <param name="Strategy">The engine.</param>
/// <param name="Gpu">The card.</param>
/// <param name="Gpus">The fewest cards that fit (<see cref="GpuCountSearch.Fewest"/>); null when none up to
/// <see cref="GpuCountSearch.GpuLimit"/> does (a replicating strategy: when two do not).</param>
public sealed record GpuCountCell(ModelConfig Model, ShardingStrategy Strategy, GpuSpec Gpu, int? Gpus);

/// <summary>
/// The capacity report's "how many GPUs" table: for each model × multi-GPU strategy × catalogue GPU, the fewest cards on
/// which a step fits — Hugging Face's default optimizer (<c>adamw</c>, which every strategy runs), batch 1 per GPU at the
/// report's sequence length, one micro-batch, no offload, everything else as the report's settings say. Predicted from the
/// engines' documented layouts, not measured.
/// </summary>
public static class GpuCountTable
{
    /// <summary>The optimizer the table assumes.</summary>
    public const string Optimizer = "adamw";

    /// <summary>Computes every cell, model-major, then strategy, then GPU.</summary>
    public static IReadOnlyList<GpuCountCell> For(CapacitySettings settings, IReadOnlyList<ModelConfig> models, IReadOnlyList<GpuSpec> gpus)
    {
        var cells = new List<GpuCountCell>();
        foreach (var model in models)
            foreach (var strategy in Strategies.Multi)
            {
                var step = settings.Step(model, Optimizer) with { Parallel = new Parallelism(2, strategy) };
                foreach (var gpu in gpus)
                    cells.Add(new GpuCountCell(model, strategy, gpu, GpuCountSearch.Fewest(settings.Query(step, gpu, 1, settings.Seq))));
            }
        return cells;
    }
}
