using GaLore.Planner.Fit;

namespace GaLore.Cli.Reports.Capacity;

/// <summary>
/// Exact searches over a compiled step. The predicted device-used peak never decreases as the batch or the
/// sequence grows (every event's size is a non-negative combination of tokens and tokens × seq, and allocator
/// rounding is monotone), so "fits" is a prefix of the axis and bisection finds its end exactly.
/// </summary>
public static class CapacitySearch
{
    /// <summary>First probe of the sequence search (the shortest length commonly trained).</summary>
    public const int SeqProbeStart = 128;

    /// <summary>Longest sequence searched: 32768 tokens, the longest context among the presets (Mistral-7B,
    /// Qwen2.5-7B). A result equal to this means "at least this long".</summary>
    public const int SeqSearchLimit = 32768;

    /// <summary>
    /// Longest sequence length that fits at <paramref name="batch"/>: probes 128, 256, …, 32768 until one does
    /// not fit, then bisects between the last length that fits and that one (between 1 and 128 when 128 does
    /// not fit). 0 when even one token does not fit; <see cref="SeqSearchLimit"/> when 32768 fits.
    /// </summary>
    public static int MaxSeq(DevicePrograms program, int batch, long usableBytes)
    {
        bool Fits(int seq) => program.DeviceUsedBytes(batch, seq) <= usableBytes;
        if (!Fits(1)) return 0;
        int lo = 1, hi = SeqProbeStart;
        if (Fits(SeqProbeStart))
        {
            lo = SeqProbeStart;
            hi = 2 * lo;
            while (hi <= SeqSearchLimit && Fits(hi)) { lo = hi; hi *= 2; }
            if (hi > SeqSearchLimit) return SeqSearchLimit;
        }
        while (hi - lo > 1)
        {
            int mid = lo + (hi - lo) / 2;
            if (Fits(mid)) lo = mid; else hi = mid;
        }
        return lo;
    }

    /// <summary>Largest batch that fits at the query's sequence length (the planner's own search, <see cref="FitCalculator.MaxBatch"/>:
    /// doubling then bisection, capped at <see cref="FitCalculator.BatchSearchLimit"/>); 0 when batch 1 does not fit.</summary>
    public static int MaxBatch(DevicePrograms program, FitQuery query) => FitCalculator.MaxBatch(program, query);
}
