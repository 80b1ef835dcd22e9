using GaLore.Planner.Devices;
using GaLore.Planner.Fit;
using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Parallel;
using GaLore.Planner.Search;

namespace GaLore.Planner.Capacity;

/// <summary>
/// Evaluates every GPU × model × optimizer with the planner (one compiled step per row, then exact searches
/// over batch and sequence, <see cref="AxisSearch"/>: exact because the peak never decreases as either grows),
/// picks a recommendation per (GPU, model) (<see cref="Recommendation"/>), and computes the rank curves of the
/// charted model.
/// </summary>
public static class CapacityAnalysis
{
    /// <summary>Ranks of the max-batch-against-rank curves: 64 … 1024 in powers of two (the paper uses 128–1024;
    /// 1024 is its 7B recipe, 64 the smallest it ablates).</summary>
    public static readonly IReadOnlyList<int> ChartRanks = [64, 128, 256, 512, 1024];

    /// <summary>Runs the whole analysis; <paramref name="chartModels"/> null charts each GPU's default model
    /// (<see cref="DefaultChartModel"/>). Progress lines go to <paramref name="progress"/>. <paramref name="gpuCounts"/> adds the
    /// "how many GPUs" table over the whole catalogue (<see cref="GpuCountTable"/>).</summary>
    public static CapacityResult Run(CapacitySettings settings, IReadOnlyList<GpuSpec> gpus, IReadOnlyList<ModelConfig> models,
        IReadOnlyList<string> optimizers, IReadOnlyList<ModelConfig>? chartModels = null, TextWriter? progress = null, bool gpuCounts = false)
    {
        var parameters = models.ToDictionary(m => m, m => StepCompiler.TableOf(m).Sum(t => t.Elements));
        var rows = new List<CapacityRow>();
        var recommendations = new List<Recommendation>();
        var charts = new List<GpuCharts>();
        int total = gpus.Count * (models.Count + 1), done = 0;
        foreach (var gpu in gpus)
        {
            var gpuRows = new List<CapacityRow>();
            foreach (var model in models)
            {
                var modelRows = optimizers.Select(o => Evaluate(settings, gpu, model, parameters[model], o)).ToList();
                gpuRows.AddRange(modelRows);
                recommendations.Add(Recommendation.Choose(modelRows));
                progress?.WriteLine($"[{++done}/{total}] {gpu.Name} · {model.Name}: {modelRows.Count(r => r.Fits)} of {modelRows.Count} optimizers fit batch 1");
            }
            rows.AddRange(gpuRows);
            foreach (var chartModel in chartModels ?? [DefaultChartModel(gpuRows, parameters)])
            {
                var curves = optimizers.Where(o => CapacityEntry.Parse(o) is { Spec.GaLore: true, Adapters: null })
                    .Select(o => RankCurveOf(settings, gpu, chartModel, o, ChartRanks)).ToList();
                charts.Add(new GpuCharts(gpu, chartModel, curves));
            }
            progress?.WriteLine($"[{++done}/{total}] {gpu.Name} · rank curves ({string.Join(", ", charts.Where(c => c.Gpu == gpu).Select(c => c.Model.Name))})");
        }
        var counts = gpuCounts ? GpuCountTable.For(settings, models, GpuCatalog.All) : [];
        if (gpuCounts) progress?.WriteLine($"how many GPUs: {models.Count} models × {Strategies.Multi.Count} strategies × {GpuCatalog.All.Count} GPUs");
        return new CapacityResult(settings, gpus, models, optimizers, rows, recommendations, charts) { GpuCounts = counts };
    }

    /// <summary>One row: compile, verdict at batch 1, largest batch, longest sequence. A configuration the
    /// planner rejects (rank above a projected weight's smaller side) becomes an invalid row with the reason.</summary>
    public static CapacityRow Evaluate(CapacitySettings s, GpuSpec gpu, ModelConfig model, long parameters, string optimizer)
    {
        var entry = CapacityEntry.Parse(optimizer);
        var step = s.Step(model, entry);
        int? rank = step.Optimizer.Spec.GaLore ? s.GaLore.Rank : null;
        long usable = s.UsableBytes(gpu);
        var query = s.Query(step, gpu, 1, s.Seq);
        DevicePrograms program;
        try { program = DevicePrograms.Compile(step, query.Device); }
        catch (PlannerInputException e)
        {
            return new CapacityRow(gpu, model, parameters, entry.Label, rank, s.Seq, usable, null, 0, null, 0, e.Message) { TrainsAdapters = entry.Adapters is not null };
        }
        var batch1 = MemoryEstimate.Of(program, 1, s.Seq);
        int maxBatch = AxisSearch.MaxBatch(program, s.Seq, usable);
        var atMax = maxBatch > 0 ? MemoryEstimate.Of(program, maxBatch, s.Seq) : null;
        int maxSeq = AxisSearch.MaxSeq(program, 1, usable);
        return new CapacityRow(gpu, model, parameters, entry.Label, rank, s.Seq, usable, batch1, maxBatch, atMax, maxSeq, null) { TrainsAdapters = entry.Adapters is not null };
    }

    /// <summary>Largest batch at each rank for one GaLore optimizer; ranks the model cannot take are skipped.</summary>
    public static RankCurve RankCurveOf(CapacitySettings s, GpuSpec gpu, ModelConfig model, string optimizer, IEnumerable<int> ranks)
    {
        var points = new List<RankPoint>();
        foreach (int rank in ranks)
        {
            var step = s.Step(model, optimizer, rank);
            var query = s.Query(step, gpu, 1, s.Seq);
            DevicePrograms program;
            try { program = DevicePrograms.Compile(step, query.Device); }
            catch (PlannerInputException) { continue; }
            points.Add(new RankPoint(rank, AxisSearch.MaxBatch(program, s.Seq, query.UsableBytes), program.DeviceUsedBytes(1, s.Seq)));
        }
        return new RankCurve(OptimizerSpec.Parse(optimizer).Name, points);
    }

    /// <summary>
    /// The model a GPU's charts show by default: the one with the most parameters on which at least one
    /// optimizer fits batch 1 — the model where the choice of optimizer matters most. When nothing fits, the
    /// smallest model.
    /// </summary>
    public static ModelConfig DefaultChartModel(IReadOnlyList<CapacityRow> gpuRows, IReadOnlyDictionary<ModelConfig, long> parameters)
    {
        var fitting = gpuRows.Where(r => r.Fits).Select(r => r.Model).Distinct().ToList();
        return fitting.Count > 0
            ? fitting.MaxBy(m => parameters[m])!
            : gpuRows.Select(r => r.Model).Distinct().MinBy(m => parameters[m])!;
    }
}
