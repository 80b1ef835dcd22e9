using GaLore.Planner.Fit;
using GaLore.Planner.Search;

namespace GaLore.Planner.Sweep;

/// <summary>
/// "Which axis hits the limit first": start at the grid's smallest point and grow one axis at a time, the others
/// held at their smallest value. An axis's limit position is where its first non-fitting value sits in its value
/// list, index / (count − 1): 1/(count − 1) when its second value already fails, 1 when only its largest does.
/// The axis with the smallest position hits the limit first within the ranges asked for. Because that depends
/// on the ranges chosen, the cost of doubling each axis is given as well — at the smallest point (the marginal
/// cost) and averaged over the axis's range — which says which axis is most expensive to grow.
/// Reads points by grid index: linear in the axes' lengths, plus one linear pass for <see cref="MonotoneCheck"/>.
/// </summary>
public static class LimitAnalysis
{
    /// <summary>Analyses a finished sweep.</summary>
    public static LimitVerdict Analyze(SweepResult result)
    {
        var g = result.Grid;
        var basePoint = result.Point(0, 0, 0);
        bool baseFits = result.Fits(basePoint);
        var axes = new List<AxisLimit>();
        foreach (var axis in Enum.GetValues<SweepAxis>())
        {
            var values = g.Values(axis);
            if (values.Count < 2) continue;
            SweepPoint Along(int i) => axis switch
            {
                SweepAxis.Rank => result.Point(i, 0, 0),
                SweepAxis.Batch => result.Point(0, i, 0),
                _ => result.Point(0, 0, i),
            };
            int? failing = null;
            double? fraction = null;
            for (int i = 0; i < values.Count; i++)
            {
                if (result.Fits(Along(i))) continue;
                failing = values[i];
                fraction = i / (double)(values.Count - 1);
                break;
            }
            double average = (Along(values.Count - 1).DeviceUsedBytes - Along(0).DeviceUsedBytes)
                             / Math.Log2(values[^1] / (double)values[0]);
            axes.Add(new AxisLimit(axis, values, failing, fraction, BytesPerDoubling(result, axis), average));
        }
        var failingAxes = axes.Where(a => a.Fraction is not null).ToList();
        IReadOnlyList<SweepAxis> first = !baseFits || failingAxes.Count == 0
            ? []
            : failingAxes.Where(a => a.Fraction == failingAxes.Min(x => x.Fraction)).Select(a => a.Axis).ToList();
        return new LimitVerdict(basePoint.DeviceUsedBytes, baseFits, axes, first, MonotoneCheck.NonMonotone(result));
    }

    /// <summary>Peak at twice an axis's smallest value minus the peak at it, the other axes at their smallest
    /// (null when twice the smallest rank is not a valid configuration).</summary>
    public static long? BytesPerDoubling(SweepResult result, SweepAxis axis)
    {
        var g = result.Grid;
        int r0 = g.Ranks[0], b0 = g.Batches[0], s0 = g.Seqs[0];
        var p = result.Programs[0];
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
}
