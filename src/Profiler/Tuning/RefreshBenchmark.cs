using GaLore.Kernels.Native;
using GaLore.Kernels.Projection;
using GaLore.Planner.Optimizers;
using static TorchSharp.torch;

namespace GaLore.Profiler.Tuning;

/// <summary>The time of one projector refresh of one weight shape.</summary>
/// <param name="Shape">The weight shape (and how many weights have it).</param>
/// <param name="Method">SVD or randomized range finder.</param>
/// <param name="Rank">GaLore rank r.</param>
/// <param name="Seconds">Median time of one refresh of one weight.</param>
/// <param name="Runs">Runs timed (0 when <paramref name="SameAsRank"/> is set).</param>
/// <param name="SameAsRank">Null when measured at this rank; otherwise the rank whose SVD time is reused — a full SVD
/// computes all min(m, n) singular vectors whatever r is, and r only changes the copy of r of them.</param>
/// <param name="Agreement">Randomized only: ‖P_randᵀ·P_svd‖²_F / r, the mean squared cosine of the principal angles
/// between the two rank-r subspaces (1 = identical), when the SVD was timed too.</param>
public sealed record RefreshTiming(ProjectedShape Shape, RefreshMethod Method, int Rank, double Seconds, int Runs, int? SameAsRank, double? Agreement)
{
    /// <summary>Whether the time was measured at this rank.</summary>
    public bool Measured => SameAsRank is null;
}

/// <summary>What to time.</summary>
/// <param name="Shapes">Distinct projected shapes.</param>
/// <param name="Ranks">Ranks, each ≤ every shape's smaller side.</param>
/// <param name="Methods">Refresh methods.</param>
/// <param name="ProjType">GaLore's proj_type (decides which singular vectors are kept).</param>
/// <param name="GradientType">The gradient's dtype (the refresh upcasts it to float32 first, as the reference does).</param>
/// <param name="Seed">Seed of the synthetic gradients and of the range finder.</param>
public sealed record RefreshPlan(IReadOnlyList<ProjectedShape> Shapes, IReadOnlyList<int> Ranks, IReadOnlyList<RefreshMethod> Methods,
    ProjectionType ProjType, ScalarType GradientType, long Seed = 0);

/// <summary>
/// Times projector refreshes with this project's kernels — <see cref="GaLoreProjector.Recompute"/>, i.e. a float32 copy of
/// the gradient, then <c>linalg.svd(full_matrices=False)</c> (the reference's refresh) or the randomized range finder
/// (<see cref="RandomizedRangeFinder"/>, p = 8, q = 2), then the copy of r vectors into the projector — on a
/// <see cref="SyntheticGradient"/> of each shape.
/// <para>Cost control: the SVD is timed at the largest rank for every shape, and also at every other rank when one SVD takes
/// under <see cref="CheapSeconds"/>; otherwise only the shape with the fewest elements is timed again at the smallest rank
/// (to show the rank does not matter) and the other ranks reuse the largest rank's time. The range finder's cost grows with
/// r (products with r + p columns), so it is timed at every rank.</para>
/// </summary>
public static class RefreshBenchmark
{
    /// <summary>An SVD faster than this is timed at every rank.</summary>
    public const double CheapSeconds = 1.0;

    /// <summary>Runs the plan; writes one progress line per measurement.</summary>
    public static IReadOnlyList<RefreshTiming> Run(RefreshPlan plan, DeviceTimer timer, TextWriter? progress = null)
    {
        TorchNativeLoader.EnsureLoaded();
        if (plan.Shapes.Count == 0 || plan.Ranks.Count == 0 || plan.Methods.Count == 0)
            throw new ArgumentException("nothing to time: need shapes, ranks and methods", nameof(plan));
        var ranks = plan.Ranks.Distinct().Order().ToArray();
        var smallestShape = plan.Shapes.MinBy(s => s.Elements)!;
        var results = new List<RefreshTiming>();
        foreach (var shape in plan.Shapes)
        {
            if (ranks[^1] > shape.SmallerSide) throw new ArgumentException($"rank {ranks[^1]} exceeds {shape.Label}'s smaller side");
            using var scope = NewDisposeScope();
            var grad = SyntheticGradient.Create(shape.Rows, shape.Cols, plan.Seed + shape.Rows * 7919 + shape.Cols, timer.Device).to(plan.GradientType);
            GaLoreProjector? reference = null;
            try
            {
                if (plan.Methods.Contains(RefreshMethod.Svd))
                    reference = TimeSvd(plan, shape, ranks, grad, timer, ReferenceEquals(shape, smallestShape), results, progress);
                if (plan.Methods.Contains(RefreshMethod.Randomized))
                    foreach (int r in ranks)
                    {
                        using var fast = Projector(plan, shape, r, SubspaceRefresh.Randomized with { Seed = plan.Seed });
                        var t = timer.Measure(i => fast.Recompute(grad, i));
                        double? agreement = reference is null ? null : SubspaceAgreement.Of(reference, fast, r);
                        results.Add(new RefreshTiming(shape, RefreshMethod.Randomized, r, t.Seconds, t.Runs, null, agreement));
                        Report(progress, shape, "randomized", r, t, agreement);
                    }
            }
            finally
            {
                reference?.Dispose();
            }
        }
        return results;
    }

    /// <summary>Times the SVD at the largest rank (kept as the reference subspace), then at other ranks as the class says.</summary>
    static GaLoreProjector TimeSvd(RefreshPlan plan, ProjectedShape shape, int[] ranks, Tensor grad, DeviceTimer timer, bool checkRank,
        List<RefreshTiming> results, TextWriter? progress)
    {
        int top = ranks[^1];
        var reference = Projector(plan, shape, top, SubspaceRefresh.Svd);
        var topTime = timer.Measure(i => reference.Recompute(grad, i));
        Report(progress, shape, "svd", top, topTime, null);
        bool cheap = topTime.Seconds < CheapSeconds;
        var svd = new List<RefreshTiming> { new(shape, RefreshMethod.Svd, top, topTime.Seconds, topTime.Runs, null, null) };
        for (int k = ranks.Length - 2; k >= 0; k--)
        {
            int r = ranks[k];
            if (cheap || (checkRank && k == 0))
            {
                using var p = Projector(plan, shape, r, SubspaceRefresh.Svd);
                var t = timer.Measure(i => p.Recompute(grad, i));
                svd.Add(new RefreshTiming(shape, RefreshMethod.Svd, r, t.Seconds, t.Runs, null, null));
                Report(progress, shape, "svd", r, t, null);
            }
            else svd.Add(new RefreshTiming(shape, RefreshMethod.Svd, r, topTime.Seconds, 0, top, null));
        }
        results.AddRange(svd.OrderBy(x => x.Rank));
        return reference;
    }

    /// <summary>"12.3 s" or "45.6 ms".</summary>
    internal static string Time(double seconds) =>
        seconds >= 1 ? FormattableString.Invariant($"{seconds:0.00} s") : FormattableString.Invariant($"{seconds * 1e3:0.###} ms");

    static GaLoreProjector Projector(RefreshPlan plan, ProjectedShape shape, int rank, SubspaceRefresh refresh) =>
        new(shape.Rows, shape.Cols, new GaLoreSettings(rank, 1, 0.25, plan.ProjType), plan.GradientType, refresh);

    static void Report(TextWriter? progress, ProjectedShape shape, string method, int rank, Timing t, double? agreement) =>
        progress?.WriteLine(FormattableString.Invariant($"[tune] refresh {shape.Label} (×{shape.Count}) {method} rank {rank}: {Time(t.Seconds)} (median of {t.Runs})") +
            (agreement is { } a ? FormattableString.Invariant($", subspace agreement with the SVD {a:0.000}") : ""));
}
