using GaLore.Planner.Devices;
using GaLore.Planner.Models;

namespace GaLore.Planner.Capacity;

/// <summary>The model a GPU's charts show (<see cref="CapacityAnalysis.DefaultChartModel"/> unless chosen), and its rank curves.</summary>
public sealed record GpuCharts(GpuSpec Gpu, ModelConfig Model, IReadOnlyList<RankCurve> RankCurves);

/// <summary>Everything a capacity report shows: one row per GPU × model × optimizer, a recommendation per (GPU, model),
/// and the rank curves of each GPU's charted models.</summary>
public sealed record CapacityResult(
    CapacitySettings Settings,
    IReadOnlyList<GpuSpec> Gpus,
    IReadOnlyList<ModelConfig> Models,
    IReadOnlyList<string> Optimizers,
    IReadOnlyList<CapacityRow> Rows,
    IReadOnlyList<Recommendation> Recommendations,
    IReadOnlyList<GpuCharts> Charts)
{
    /// <summary>The "how many GPUs" table over the catalogue (<see cref="GpuCountTable"/>); empty when not computed.</summary>
    public IReadOnlyList<GpuCountCell> GpuCounts { get; init; } = [];
}
