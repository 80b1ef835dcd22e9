using GaLore.Planner.Fit;

namespace GaLore.Planner.Search;

/// <summary>
/// The largest batch or sequence length that fits, everything else fixed: one search for both axes.
/// <para>
/// Exact, not a heuristic: the predicted device-used peak never decreases as the batch or the sequence grows
/// (every event's size is a non-negative combination of tokens and tokens × seq, and the allocator's rounding is
/// monotone), so the values that fit are a prefix 1 … v* of the axis. Probing upwards until a value does not fit
/// and bisecting between the last value that fits and that one therefore finds v* itself, in O(log v*) evaluations
/// of <see cref="DevicePrograms.DeviceUsedBytes"/> (the peak-only fast path).
/// </para>
/// </summary>
public static class AxisSearch
{
    /// <summary>Largest batch searched; beyond this a batch is not a memory question. A result equal to this means
    /// "at least this large".</summary>
    public const int BatchSearchLimit = 1 << 16;

    /// <summary>First probe of the sequence search (the shortest length commonly trained).</summary>
    public const int SeqProbeStart = 128;

    /// <summary>Longest sequence searched: 32768 tokens, the longest context among the presets (Mistral-7B,
    /// Qwen2.5-7B). A result equal to this means "at least this long".</summary>
    public const int SeqSearchLimit = 32768;

    /// <summary>
    /// Largest batch that fits at <paramref name="seq"/> tokens: probes 1, 2, 4, … up to
    /// <see cref="BatchSearchLimit"/>, then bisects. 0 when batch 1 does not fit.
    /// </summary>
    public static int MaxBatch(DevicePrograms program, int seq, long usableBytes) =>
        Largest(program, ShapeAxis.Batch, seq, usableBytes, 1, BatchSearchLimit);

    /// <summary>
    /// Longest sequence that fits at <paramref name="batch"/>: probes 128, 256, …, 32768 until one does not fit,
    /// then bisects between the last length that fits and that one (between 1 and 128 when 128 does not fit).
    /// 0 when even one token does not fit; <see cref="SeqSearchLimit"/> when 32768 fits.
    /// </summary>
    public static int MaxSeq(DevicePrograms program, int batch, long usableBytes) =>
        Largest(program, ShapeAxis.Seq, batch, usableBytes, SeqProbeStart, SeqSearchLimit);

    /// <summary>
    /// Largest value v in 1 … <paramref name="limit"/> of <paramref name="axis"/> whose peak, the other axis at
    /// <paramref name="other"/>, is at most <paramref name="usableBytes"/>; 0 when 1 does not fit. Checks 1, then
    /// probes <paramref name="firstProbe"/>, twice that, … (capped at the limit) until a probe does not fit, then
    /// bisects. Exact because "fits" is a prefix of the axis (see the class remarks).
    /// </summary>
    public static int Largest(DevicePrograms program, ShapeAxis axis, int other, long usableBytes, int firstProbe, int limit)
    {
        if (limit < 1) throw new ArgumentOutOfRangeException(nameof(limit), "the search limit must be at least 1");
        bool Fits(int v) => axis == ShapeAxis.Batch ? program.FitsWithin(v, other, usableBytes) : program.FitsWithin(other, v, usableBytes);
        if (!Fits(1)) return 0;
        if (limit == 1) return 1;
        int lo = 1, hi = Math.Clamp(firstProbe, 2, limit);   // Fits(lo) holds; hi is not yet known to fit
        while (Fits(hi))
        {
            lo = hi;
            if (hi == limit) return limit;
            hi = (int)Math.Min(2L * hi, limit);
        }
        while (hi - lo > 1)
        {
            int mid = lo + (hi - lo) / 2;
            if (Fits(mid)) lo = mid; else hi = mid;
        }
        return lo;
    }
}
