using System.Diagnostics;
using GaLore.Kernels.Projection;
using GaLore.Planner;
using GaLore.Planner.Fit;
using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using TorchSharp;

namespace GaLore.Profiler.Tuning;

/// <summary>
/// Runs <c>galore-plan tune</c>'s measurements in order: planner memory per rank (no TorchSharp), then on the local device
/// a warm-up, the matmul rate, the step estimate (and a real step when the model is small), the refresh timings of every
/// projected shape, the overheads per T, the optional proxy training, and finally <see cref="TuneRule"/>. Progress goes
/// to <c>progress</c> one line per measurement.
/// </summary>
public static class TuneRunner
{
    /// <summary>Runs everything; bad input throws <see cref="PlannerInputException"/> before any timing starts.</summary>
    public static TuneResult Run(TuneRequest request, TextWriter? progress = null)
    {
        var clock = Stopwatch.StartNew();
        var q = request.Validate().Query;
        var step = q.Step;
        var shapes = ProjectedShapes.Of(step.Model, step.Optimizer);
        long smallest = ProjectedShapes.SmallestSide(shapes);
        var ranks = request.Ranks.Where(r => r <= smallest).Distinct().Order().ToArray();
        var skipped = request.Ranks.Where(r => r > smallest).Distinct().Order().ToArray();
        if (ranks.Length == 0)
            throw new PlannerInputException(
                $"every rank in --ranks is larger than {step.Model.Name}'s smallest projected side ({smallest}); use ranks ≤ {smallest}");
        var proxy = request.TrainSteps > 0 ? ProxyFor(request, ranks, smallest) : null;

        var memory = ranks.Select(r => Memory(q, r)).ToArray();
        foreach (var m in memory)
            progress?.WriteLine(FormattableString.Invariant(
                $"[tune] planner: rank {m.Rank}: peak {m.PeakBytes / (double)(1L << 30):0.00} GiB at batch {q.Batch} × {q.Seq}, largest batch {m.MaxBatch}"));
        long limit = TuneRule.LimitBytes(q.UsableBytes, request.Policy);
        int stepRank = TuneRule.PickRank(memory, limit) ?? ranks[0];

        var contention = CpuContention.Start();
        progress?.WriteLine($"[tune] loading TorchSharp and warming up {request.Device} ...");
        var timer = new DeviceTimer(request.Device, request.Repeats, request.RepeatBudgetSeconds);
        WarmUp(timer, request);

        var throughput = MatmulThroughput.Measure(timer, MatmulThroughput.ComputeType(step.Precision), request.MatmulSize);
        progress?.WriteLine(FormattableString.Invariant(
            $"[tune] matmul {throughput.DType} {throughput.Size}³: {throughput.FlopsPerSecond / 1e9:0.0} GFLOP/s (median of {throughput.Runs})"));
        long tokens = (long)q.Batch * q.Seq;
        double flops = TrainingFlops.PerStep(step.Model, tokens, step.Checkpointing);
        double estimate = Amortisation.StepSeconds(flops, throughput.FlopsPerSecond);
        var (measured, note) = MaybeMeasureStep(request, estimate, stepRank, timer, progress);

        var methods = request.Methods.Distinct().OrderBy(m => m == RefreshMethod.Svd ? 0 : 1).ToArray();
        var gradType = step.Precision.Mode == PrecisionMode.Bf16 ? torch.ScalarType.BFloat16 : torch.ScalarType.Float32;
        var timings = RefreshBenchmark.Run(new RefreshPlan(shapes, ranks, methods, step.Optimizer.GaLore.ProjType, gradType, request.Seed), timer, progress);
        var totals = methods.SelectMany(m => ranks.Select(r =>
        {
            var rows = timings.Where(t => t.Method == m && t.Rank == r).ToList();
            return new RefreshTotal(m, r, Amortisation.RefreshSeconds(rows.Select(t => (t.Shape.Count, t.Seconds))), rows.All(t => t.Measured));
        })).ToArray();
        double stepSeconds = measured?.StepSeconds ?? estimate;
        var gaps = request.Gaps.Distinct().Order().ToArray();
        var overheads = totals.SelectMany(t => gaps.Select(g => new OverheadPoint(t.Method, t.Rank, g, Amortisation.Overhead(t.Seconds, g, stepSeconds)))).ToArray();

        var quality = proxy is null ? null : ProxyTraining.Run(proxy, step.Optimizer, timer, progress);
        var choice = TuneRule.Choose(memory, q.UsableBytes, overheads, request.Policy);
        var table = ParameterTable.Build(step.Model);
        return new TuneResult(request, shapes, smallest, ranks, skipped, memory, q.UsableBytes, table.Sum(t => t.Elements),
            TrainingFlops.MatmulParameters(step.Model), throughput, flops, estimate, measured, note, timings, totals, overheads, quality, choice,
            Describe(timer), contention?.OtherCores(), clock.Elapsed.TotalSeconds);
    }

    /// <summary>The planner's peak at the query's batch × seq and the largest batch, at one rank.</summary>
    public static RankMemory Memory(FitQuery q, int rank)
    {
        var opt = q.Step.Optimizer;
        var at = q with { Step = q.Step with { Optimizer = opt with { GaLore = opt.GaLore with { Rank = rank } } } };
        var result = FitCalculator.Evaluate(at, withSuggestions: false);
        return new RankMemory(rank, result.Estimate.DeviceUsedBytes, result.MaxBatch);
    }

    /// <summary>The proxy's settings: its ranks (given and clipped, or mapped by fraction of the smallest side) and gaps.</summary>
    static ProxySettings ProxyFor(TuneRequest r, IReadOnlyList<int> ranks, long smallest)
    {
        long proxySmallest = ProjectedShapes.SmallestSide(ProjectedShapes.Of(r.Proxy, r.Query.Step.Optimizer));
        var proxyRanks = r.ProxyRanks is { } given ? ProxyGrid.ClipRanks(given, proxySmallest) : ProxyGrid.MapRanks(ranks, smallest, proxySmallest);
        var proxyGaps = (r.ProxyGaps ?? ProxyGrid.DefaultGaps(r.TrainSteps)).Distinct().Order().ToArray();
        return new ProxySettings(r.Proxy, r.TrainSteps, proxyRanks, proxyGaps, r.ProxyLearningRate, r.ProxyBatch, r.ProxySeq, r.Seed);
    }

    static (MeasuredStep? Step, string Note) MaybeMeasureStep(TuneRequest r, double estimate, int rank, DeviceTimer timer, TextWriter? progress)
    {
        var q = r.Query;
        bool run = r.MeasureStep switch
        {
            StepMeasureMode.Always => true,
            StepMeasureMode.Never => false,
            _ => estimate <= r.MeasureStepLimitSeconds,
        };
        if (!run)
            return (null, r.MeasureStep == StepMeasureMode.Never
                ? "not measured (--measure-step never)"
                : FormattableString.Invariant($"not measured: the estimate ({estimate:0.00} s) is above the {r.MeasureStepLimitSeconds:0.##} s limit for timing real steps on {timer.Name}"));
        var measured = StepMeasurement.Run(q.Step, q.Batch, q.Seq, rank, timer, progress);
        return (measured, $"measured: {measured.OrdinarySteps} real steps at rank {rank} with this project's TorchSharp model and kernels (StepRunner)");
    }

    /// <summary>One small matmul, SVD and range finder, so one-time library set-up is not timed.</summary>
    static void WarmUp(DeviceTimer timer, TuneRequest r)
    {
        var quiet = new DeviceTimer(timer.Name, 1, 0);
        MatmulThroughput.Measure(quiet, MatmulThroughput.ComputeType(r.Query.Step.Precision), 256);
        var shape = new ProjectedShape(192, 128, 1, "warm-up");
        RefreshBenchmark.Run(new RefreshPlan([shape], [8, 16], r.Methods, r.Query.Step.Optimizer.GaLore.ProjType, torch.ScalarType.Float32, r.Seed), quiet);
    }

    static string Describe(DeviceTimer timer)
    {
        if (timer.IsCuda) return $"{timer.Name} (libtorch CUDA device)";
        string cpu = "unknown CPU";
        if (File.Exists("/proc/cpuinfo"))
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        return $"cpu: {cpu}, {Environment.ProcessorCount} cores, {torch.get_num_threads()} libtorch threads";
    }
}
