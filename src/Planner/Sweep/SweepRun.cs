using System.Diagnostics;
using GaLore.Planner.Fit;
using GaLore.Planner.Memory;
using GaLore.Planner.Search;

namespace GaLore.Planner.Sweep;

/// <summary>One evaluated grid point.</summary>
public sealed record SweepPoint(int Rank, int Batch, int Seq, MemoryEstimate Estimate);

/// <summary>Largest batch at one (rank, seq): exact (the planner's search) and within the grid's batch values.</summary>
/// <param name="Rank">GaLore rank.</param>
/// <param name="Seq">Sequence length.</param>
/// <param name="MaxBatch">Largest batch that fits (<see cref="FitCalculator.MaxBatch"/>; 0 when none).</param>
/// <param name="MaxGridBatch">Largest of the grid's batch values that fits (0 when none).</param>
public sealed record FrontierPoint(int Rank, int Seq, int MaxBatch, int MaxGridBatch);

/// <summary>A sweep's results and its timing.</summary>
/// <param name="Query">The fixed part: step at the grid's first rank, GPU, context and reserve.</param>
/// <param name="Grid">The axes.</param>
/// <param name="Points">Every point, rank-major then batch then seq.</param>
/// <param name="Frontier">Largest batch per (rank, seq).</param>
/// <param name="Programs">The compiled step per rank.</param>
/// <param name="CompileSeconds">Time to compile one step per rank.</param>
/// <param name="EvaluateSeconds">Time of the pass that evaluated every point (<see cref="MemoryEstimate.Of"/>: allocated and
/// reserved peaks with the breakdown), just-in-time compilation of the evaluator included.</param>
/// <param name="PointsPerSecond">Steady-state rate on one thread: the first pass's rate when it took at least
/// <see cref="SweepRun.SteadySeconds"/>, otherwise the rate of re-evaluating the grid for that long.</param>
public sealed record SweepResult(FitQuery Query, SweepGrid Grid, IReadOnlyList<SweepPoint> Points, IReadOnlyList<FrontierPoint> Frontier,
    IReadOnlyDictionary<int, DevicePrograms> Programs, double CompileSeconds, double EvaluateSeconds, double PointsPerSecond)
{
    /// <summary>Bytes the run may use.</summary>
    public long UsableBytes => Query.UsableBytes;

    /// <summary>Whether a point fits.</summary>
    public bool Fits(SweepPoint p) => p.Estimate.DeviceUsedBytes <= UsableBytes;

    /// <summary>The point at given values (which must be on the grid).</summary>
    public SweepPoint At(int rank, int batch, int seq)
    {
        int ri = IndexOf(Grid.Ranks, rank), bi = IndexOf(Grid.Batches, batch), si = IndexOf(Grid.Seqs, seq);
        return Points[(ri * Grid.Batches.Count + bi) * Grid.Seqs.Count + si];
    }

    static int IndexOf(IReadOnlyList<int> values, int v)
    {
        for (int i = 0; i < values.Count; i++) if (values[i] == v) return i;
        throw new ArgumentOutOfRangeException(nameof(v), $"{v} is not on the grid");
    }
}

/// <summary>
/// Evaluates a sweep: every rank is validated first (a rank above a projected weight's smaller side is bad
/// input, reported before any work), then one step is compiled per rank and every batch × seq of the grid is
/// evaluated on it — the planner compiles once per model, optimizer and rank and evaluates any batch shape in
/// time proportional to the step's distinct events.
/// </summary>
public static class SweepRun
{
    /// <summary>Shortest timing the points-per-second figure rests on: 0.2 s (a small grid's single pass takes
    /// milliseconds and mostly measures JIT warm-up).</summary>
    public const double SteadySeconds = 0.2;

    /// <summary>Runs the sweep. <paramref name="baseQuery"/>'s batch, seq and rank are replaced by the grid's.</summary>
    public static SweepResult Run(FitQuery baseQuery, SweepGrid grid, TextWriter? progress = null)
    {
        grid.Validate();
        var table = StepCompiler.TableOf(baseQuery.Step.Model);
        foreach (int rank in grid.Ranks) baseQuery.WithRank(rank).Step.Optimizer.SelectGaLore(table);

        var programs = new Dictionary<int, DevicePrograms>();
        var compile = Stopwatch.StartNew();
        foreach (int rank in grid.Ranks) programs[rank] = DevicePrograms.Compile(baseQuery.WithRank(rank).Step, baseQuery.Device);
        double compileSeconds = compile.Elapsed.TotalSeconds;

        var points = new List<SweepPoint>((int)grid.Count);
        double evaluateSeconds = 0;
        int k = 0;
        foreach (int rank in grid.Ranks)
        {
            var program = programs[rank];
            var clock = Stopwatch.StartNew();
            foreach (int batch in grid.Batches)
                foreach (int seq in grid.Seqs)
                    points.Add(new SweepPoint(rank, batch, seq, MemoryEstimate.Of(program, batch, seq)));
            evaluateSeconds += clock.Elapsed.TotalSeconds;
            progress?.WriteLine($"[{++k}/{grid.Ranks.Count}] rank {rank}: {grid.Batches.Count * grid.Seqs.Count} points");
        }

        var first = baseQuery.WithRank(grid.Ranks[0]) with { Batch = grid.Batches[0], Seq = grid.Seqs[0] };
        double rate = evaluateSeconds >= SteadySeconds ? points.Count / evaluateSeconds : SteadyRate(programs, grid);
        var result = new SweepResult(first, grid, points, [], programs, compileSeconds, evaluateSeconds, rate);
        var frontier = new List<FrontierPoint>();
        foreach (int rank in grid.Ranks)
            foreach (int seq in grid.Seqs)
            {
                var q = baseQuery.WithRank(rank) with { Batch = 1, Seq = seq };
                int maxBatch = FitCalculator.MaxBatch(programs[rank], q);
                int inGrid = grid.Batches.LastOrDefault(b => result.Fits(result.At(rank, b, seq)));
                frontier.Add(new FrontierPoint(rank, seq, maxBatch, inGrid));
            }
        return result with { Frontier = frontier };
    }

    /// <summary>Points per second of re-evaluating the whole grid for at least <see cref="SteadySeconds"/>.</summary>
    static double SteadyRate(Dictionary<int, DevicePrograms> programs, SweepGrid grid)
    {
        long n = 0, sink = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < SteadySeconds)
            foreach (int rank in grid.Ranks)
                foreach (int batch in grid.Batches)
                    foreach (int seq in grid.Seqs)
                    {
                        sink += MemoryEstimate.Of(programs[rank], batch, seq).DeviceUsedBytes;
                        n++;
                    }
        GC.KeepAlive(sink);
        return n / clock.Elapsed.TotalSeconds;
    }
}
