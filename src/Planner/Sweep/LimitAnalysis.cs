using GaLore.Planner.Fit;
using GaLore.Planner.Search;

namespace GaLore.Planner.Sweep;

/// <summary>How one axis meets the GPU's limit, starting from the grid's smallest point.</summary>
/// <param name="Axis">The axis.</param>
/// <param name="Values">Its grid values, ascending.</param>
/// <param name="FirstFailing">Smallest value that does not fit with the other axes at their smallest; null when every value fits.</param>
/// <param name="Fraction">Position of <paramref name="FirstFailing"/> in the axis's value list, index / (count − 1), in [0, 1]
/// (for an <c>a..b</c> range that is the fraction of its log₂ span); null when every value fits or the axis has one value.</param>
/// <param name="BytesPerDoubling">Device-used peak at twice the axis's smallest value minus the peak at it, the others at
/// their smallest (null when twice the value is not a valid configuration, e.g. a rank above a weight's side).</param>
/// <param name="AverageBytesPerDoubling">(peak at the axis's largest value − peak at its smallest) / log₂(largest / smallest),
/// the others at their smallest: the growth averaged over the range swept.</param>
public sealed record AxisLimit(SweepAxis Axis, IReadOnlyList<int> Values, int? FirstFailing, double? Fraction, long? BytesPerDoubling,
    double AverageBytesPerDoubling);

/// <summary>Which axis reaches the limit first, and whether the grid's peaks are monotone.</summary>
/// <param name="BasePeakBytes">Peak at the grid's smallest point (smallest rank, batch and seq).</param>
/// <param name="BaseFits">Whether the smallest point fits; when it does not, no axis can grow.</param>
/// <param name="Axes">Every varied axis (two or more values).</param>
/// <param name="First">The varied axes whose <see cref="AxisLimit.Fraction"/> is smallest (several on a tie; none when
/// nothing fails within range or the base does not fit).</param>
/// <param name="NonMonotone">Neighbouring grid points where the peak decreases as an axis grows (expected: none).</param>
public sealed record LimitVerdict(long BasePeakBytes, bool BaseFits, IReadOnlyList<AxisLimit> Axes, IReadOnlyList<SweepAxis> First,
    IReadOnlyList<NonMonotonePair> NonMonotone);

/// <summary>Two grid neighbours along <paramref name="Axis"/> where the peak decreases as the axis grows.</summary>
/// <param name="Axis">The axis that grows.</param>
/// <param name="From">The axis's value at the first point.</param>
/// <param name="To">Its next grid value.</param>
/// <param name="Rank">Rank of the first point.</param>
/// <param name="Batch">Batch of the first point.</param>
/// <param name="Seq">Sequence length of the first point.</param>
/// <param name="FromBytes">Device-used peak at the first point.</param>
/// <param name="ToBytes">Device-used peak at the next, lower.</param>
public sealed record NonMonotonePair(SweepAxis Axis, int From, int To, int Rank, int Batch, int Seq, long FromBytes, long ToBytes);

/// <summary>
/// "Which axis hits the limit first": start at the grid's smallest point and grow one axis at a time, the others
/// held at their smallest value. An axis's limit position is where its first non-fitting value sits in its value
/// list, index / (count − 1): 1/(count − 1) when its second value already fails, 1 when only its largest does.
/// The axis with the smallest position hits the limit first within the ranges asked for. Because that depends
/// on the ranges chosen, the cost of doubling each axis is given as well — at the smallest point (the marginal
/// cost) and averaged over the axis's range — which says which axis is most expensive to grow.
/// </summary>
public static class LimitAnalysis
{
    /// <summary>Analyses a finished sweep.</summary>
    public static LimitVerdict Analyze(SweepResult result)
    {
        var g = result.Grid;
        int r0 = g.Ranks[0], b0 = g.Batches[0], s0 = g.Seqs[0];
        var basePoint = result.At(r0, b0, s0);
        bool baseFits = result.Fits(basePoint);
        var axes = new List<AxisLimit>();
        foreach (var axis in Enum.GetValues<SweepAxis>())
        {
            var values = g.Values(axis);
            if (values.Count < 2) continue;
            SweepPoint Along(int v) => axis switch
            {
                SweepAxis.Rank => result.At(v, b0, s0),
                SweepAxis.Batch => result.At(r0, v, s0),
                _ => result.At(r0, b0, v),
            };
            int? failing = null;
            double? fraction = null;
            for (int i = 0; i < values.Count; i++)
            {
                if (result.Fits(Along(values[i]))) continue;
                failing = values[i];
                fraction = i / (double)(values.Count - 1);
                break;
            }
            double average = (Along(values[^1]).Estimate.DeviceUsedBytes - Along(values[0]).Estimate.DeviceUsedBytes)
                             / Math.Log2(values[^1] / (double)values[0]);
            axes.Add(new AxisLimit(axis, values, failing, fraction, BytesPerDoubling(result, axis), average));
        }
        var failingAxes = axes.Where(a => a.Fraction is not null).ToList();
        IReadOnlyList<SweepAxis> first = !baseFits || failingAxes.Count == 0
            ? []
            : failingAxes.Where(a => a.Fraction == failingAxes.Min(x => x.Fraction)).Select(a => a.Axis).ToList();
        return new LimitVerdict(basePoint.Estimate.DeviceUsedBytes, baseFits, axes, first, NonMonotone(result));
    }

    /// <summary>Peak at twice an axis's smallest value minus the peak at it, the other axes at their smallest.</summary>
    public static long? BytesPerDoubling(SweepResult result, SweepAxis axis)
    {
        var g = result.Grid;
        int r0 = g.Ranks[0], b0 = g.Batches[0], s0 = g.Seqs[0];
        var p = result.Programs[r0];
        long basePeak = p.DeviceUsedBytes(b0, s0);
        switch (axis)
        {
            case SweepAxis.Batch: return p.DeviceUsedBytes(2L * b0, s0) - basePeak;
            case SweepAxis.Seq: return p.DeviceUsedBytes(b0, 2L * s0) - basePeak;
        }
        if (!result.Query.Step.Optimizer.Spec.GaLore) return 0;
        try
        {
            var doubled = result.Query.WithRank(2 * r0);
            return DevicePrograms.Compile(doubled.Step, doubled.Device).DeviceUsedBytes(b0, s0) - basePeak;
        }
        catch (PlannerInputException) { return null; }
    }

    /// <summary>Every pair of grid neighbours (along any axis) whose peak decreases as the axis grows.</summary>
    public static IReadOnlyList<NonMonotonePair> NonMonotone(SweepResult result)
    {
        var g = result.Grid;
        int nr = g.Ranks.Count, nb = g.Batches.Count, ns = g.Seqs.Count;
        long Peak(int ri, int bi, int si) => result.Points[(ri * nb + bi) * ns + si].Estimate.DeviceUsedBytes;
        var found = new List<NonMonotonePair>();
        void Check(SweepAxis axis, IReadOnlyList<int> values, int i, long here, long next, int ri, int bi, int si)
        {
            if (next < here) found.Add(new NonMonotonePair(axis, values[i], values[i + 1], g.Ranks[ri], g.Batches[bi], g.Seqs[si], here, next));
        }
        for (int ri = 0; ri < nr; ri++)
            for (int bi = 0; bi < nb; bi++)
                for (int si = 0; si < ns; si++)
                {
                    long here = Peak(ri, bi, si);
                    if (ri + 1 < nr) Check(SweepAxis.Rank, g.Ranks, ri, here, Peak(ri + 1, bi, si), ri, bi, si);
                    if (bi + 1 < nb) Check(SweepAxis.Batch, g.Batches, bi, here, Peak(ri, bi + 1, si), ri, bi, si);
                    if (si + 1 < ns) Check(SweepAxis.Seq, g.Seqs, si, here, Peak(ri, bi, si + 1), ri, bi, si);
                }
        return found;
    }
}
