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
