using System.Diagnostics;
using GaLore.Planner.Fit;
using GaLore.Planner.Memory;
using GaLore.Planner.Search;

namespace GaLore.Planner.Sweep;

/// <summary>
/// Evaluates a sweep: every rank is validated first (a rank above a projected weight's smaller side is bad
/// input, reported before any work), then one step is compiled per rank and every batch × seq of the grid is
/// evaluated on it — the planner compiles once per model, optimizer and rank and evaluates any batch shape in
/// time proportional to the step's distinct events. Everything after compiling is linear in the number of grid
/// points: one evaluation per point into one array, then the frontier (<see cref="SweepFrontier"/>).
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
        foreach (int rank in grid.Ranks) baseQuery.Step.WithRank(rank).Optimizer.SelectGaLore(table);

        int nr = grid.Ranks.Count, nb = grid.Batches.Count, ns = grid.Seqs.Count;
        var programs = new DevicePrograms[nr];
        var compile = Stopwatch.StartNew();
        for (int ri = 0; ri < nr; ri++) programs[ri] = DevicePrograms.Compile(baseQuery.Step.WithRank(grid.Ranks[ri]), baseQuery.Device);
        double compileSeconds = compile.Elapsed.TotalSeconds;

        long usable = baseQuery.UsableBytes;
        var points = new SweepPoint[grid.Count];
        double evaluateSeconds = 0;
        int k = 0, fitting = 0;
        for (int ri = 0; ri < nr; ri++)
        {
            var program = programs[ri];
            int rank = grid.Ranks[ri];
            var clock = Stopwatch.StartNew();
            for (int bi = 0; bi < nb; bi++)
            {
                int batch = grid.Batches[bi];
                for (int si = 0; si < ns; si++)
                {
                    int seq = grid.Seqs[si];
                    var p = SweepPoint.Of(rank, batch, seq, MemoryEstimate.Of(program, batch, seq));
                    points[k++] = p;
                    if (p.DeviceUsedBytes <= usable) fitting++;
                }
            }
            evaluateSeconds += clock.Elapsed.TotalSeconds;
            progress?.WriteLine($"[{ri + 1}/{nr}] rank {rank}: {nb * ns} points");
        }

        var first = baseQuery.WithRank(grid.Ranks[0]) with { Batch = grid.Batches[0], Seq = grid.Seqs[0] };
        double rate = evaluateSeconds >= SteadySeconds ? points.Length / evaluateSeconds : SteadyRate(programs, grid);
        var frontier = SweepFrontier.Of(grid, programs, points, usable);
        return new SweepResult(first, grid, points, fitting, frontier, programs, compileSeconds, evaluateSeconds, rate);
    }

    /// <summary>Points per second of re-evaluating the whole grid for at least <see cref="SteadySeconds"/>.</summary>
    static double SteadyRate(DevicePrograms[] programs, SweepGrid grid)
    {
        long n = 0, sink = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < SteadySeconds)
            for (int ri = 0; ri < programs.Length; ri++)
                foreach (int batch in grid.Batches)
                    foreach (int seq in grid.Seqs)
                    {
                        sink += MemoryEstimate.Of(programs[ri], batch, seq).DeviceUsedBytes;
                        n++;
                    }
        GC.KeepAlive(sink);
        return n / clock.Elapsed.TotalSeconds;
    }
}
