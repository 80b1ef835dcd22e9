namespace GaLore.Planner.Memory;

/// <summary>One moment of the predicted allocation timeline: after event <paramref name="Index"/>, in
/// <paramref name="Phase"/>, the bytes alive per category.</summary>
public readonly record struct TimelinePoint(int Index, string Phase, string Label, CategoryBytes Alive);

/// <summary>Where and how high memory peaked in one evaluated step.</summary>
/// <param name="PeakBytes">Highest total bytes alive.</param>
/// <param name="AtPeak">Breakdown at that moment.</param>
/// <param name="Phase">Phase in which the peak happened.</param>
/// <param name="Label">The event that reached the peak.</param>
public readonly record struct StepPeak(long PeakBytes, CategoryBytes AtPeak, string Phase, string Label);

/// <summary>
/// A compiled training step: the bytes alive before it starts (weights, optimizer states, runtime
/// buffers) and the sequence of allocations and frees of forward, backward and the optimizer step.
/// The step's peak is the running total's maximum (<see cref="Evaluate"/>). Compile once per model and
/// optimizer; evaluate for any batch and sequence length in time proportional to the number of distinct
/// events (identical decoder blocks are evaluated once, see <see cref="StepSegment.Repeat"/>).
/// </summary>
public sealed class StepProgram(CategoryBytes persistent, IReadOnlyList<StepSegment> segments, AllocationRounding rounding)
{
    /// <summary>How the allocator rounds each tensor (fixed when the program is compiled).</summary>
    public AllocationRounding Rounding { get; } = rounding;

    /// <summary>Bytes alive across steps.</summary>
    public CategoryBytes Persistent { get; } = persistent;

    /// <summary>The part of <see cref="Persistent"/>'s optimizer states in CUDA unified memory (bitsandbytes' paged states):
    /// on the device once prefetched, but outside PyTorch's allocator, so not in its allocated or reserved figures.</summary>
    public long PagedBytes { get; init; }

    /// <summary>The step's events, in order.</summary>
    public IReadOnlyList<StepSegment> Segments { get; } = segments;

    readonly StepSegment[] segs = segments.ToArray();

    /// <summary>The program for sequences of at least <see cref="LongSequencesFrom"/> tokens (a model with sliding-window
    /// layers, whose masks exist only then), or null when this program serves every length.</summary>
    public StepProgram? LongSequences { get; private init; }

    /// <summary>The sequence length from which <see cref="LongSequences"/> applies (0: never).</summary>
    public int LongSequencesFrom { get; private init; }

    /// <summary>This program for shorter sequences and <paramref name="longer"/> from <paramref name="from"/> tokens on.</summary>
    public StepProgram WithLongSequences(StepProgram longer, int from) =>
        new(Persistent, Segments, Rounding) { LongSequences = longer, LongSequencesFrom = from, PagedBytes = PagedBytes };
    /// <summary>Largest magnitude the evaluator may form exactly: 2⁶² bytes (4 EiB), a factor 2 below <c>long.MaxValue</c>
    /// so that adding the workspace and context cannot overflow either.</summary>
    public const double ExactLimitBytes = 4.611686018427388E18;

    // Σ over every event (repeats counted) of its coefficients, plus the rounding slack of 2 MiB per event: at
    // (T, s), every event's size and every running total is at most C + P·T + Q·T·s. The maxima over allocations bound
    // the largest single tensor from below (its size is at least each of its own terms).
    readonly record struct Magnitudes(double C, double P, double Q, double MaxC, double MaxP, double MaxQ);

    readonly Magnitudes magnitudes = MagnitudesOf(segments);

    static Magnitudes MagnitudesOf(IReadOnlyList<StepSegment> segments)
    {
        double c = 0, p = 0, q = 0, mc = 0, mp = 0, mq = 0;
        foreach (var seg in segments)
            foreach (var e in seg.Events)
            {
                var x = e.Size;
                c += seg.Repeat * (Math.Abs((double)x.Const) + (2 << 20));
                p += seg.Repeat * Math.Abs((double)x.PerToken);
                q += seg.Repeat * Math.Abs((double)x.PerTokenSeq);
                if (e.IsFree || x.Const < 0 || x.PerToken < 0 || x.PerTokenSeq < 0) continue;
                mc = Math.Max(mc, x.Const);
                if (x.TokenCap == 0) mp = Math.Max(mp, x.PerToken);
                mq = Math.Max(mq, x.PerTokenSeq);
            }
        return new Magnitudes(c, p, q, mc, mp, mq);
    }

    /// <summary>
    /// An upper bound, in double precision, on the size of every event and on the running total at a batch of
    /// <paramref name="tokens"/> tokens of length <paramref name="seq"/>. Below <see cref="ExactLimitBytes"/> the
    /// evaluator's 64-bit arithmetic is exact; above it the point is beyond any device (<see cref="LargestTensorLowerBound"/>).
    /// </summary>
    public double MagnitudeBound(long tokens, long seq)
    {
        if (LongSequences is { } l && seq >= LongSequencesFrom) return l.MagnitudeBound(tokens, seq);
        var m = magnitudes;
        return Persistent.Total + m.C + m.P * tokens + m.Q * (double)tokens * seq;
    }

    /// <summary>A lower bound on the largest single tensor of the step at (<paramref name="tokens"/>, <paramref name="seq"/>),
    /// hence on its peak (the running total after an allocation is at least that tensor).</summary>
    public double LargestTensorLowerBound(long tokens, long seq)
    {
        if (LongSequences is { } l && seq >= LongSequencesFrom) return l.LargestTensorLowerBound(tokens, seq);
        var m = magnitudes;
        return Math.Max(Math.Max(m.MaxC, Persistent.Total), Math.Max(m.MaxP * tokens, m.MaxQ * (double)tokens * seq));
    }

    /// <summary>Whether the evaluator's arithmetic is exact at this batch shape.</summary>
    public bool IsExact(long tokens, long seq) => MagnitudeBound(tokens, seq) <= ExactLimitBytes;

    /// <summary>Finds the peak, and the breakdown at it, for a batch of <paramref name="tokens"/> tokens of sequence
    /// length <paramref name="seq"/>.</summary>
    public StepPeak Evaluate(long tokens, long seq) => LongSequences is { } l && seq >= LongSequencesFrom ? l.Evaluate(tokens, seq) : Rounding switch
    {
        AllocationRounding.CudaAllocated => Run<Round512>(tokens, seq),
        AllocationRounding.CudaReserved => Run<RoundReserved>(tokens, seq),
        AllocationRounding.None => Run<NoRounding>(tokens, seq),
        AllocationRounding.HostMalloc => Run<RoundHost>(tokens, seq),
        _ => throw new InvalidOperationException($"unknown rounding {Rounding}"),
    };

    /// <summary>The peak alone (no breakdown): the fast path for searches and sweeps (<see cref="PeakKernel"/>, compiled on
    /// first use).</summary>
    public long PeakBytes(long tokens, long seq) => LongSequences is { } l && seq >= LongSequencesFrom
        ? l.PeakBytes(tokens, seq)
        : (peakKernel ??= PeakKernel.Compile(segs, Persistent.Total, Rounding)).PeakBytes(tokens, seq);

    PeakKernel? peakKernel;


    StepPeak Run<TRound>(long tokens, long seq) where TRound : struct, IRoundingStrategy
    {
        Span<long> running = stackalloc long[5], delta = stackalloc long[5], deltaAtMax = stackalloc long[5], atPeak = stackalloc long[5];
        var p = Persistent;
        running[0] = p.Weights; running[1] = p.Gradients; running[2] = p.OptimizerStates; running[3] = p.Activations; running[4] = p.Other;
        running.CopyTo(atPeak);
        long total = p.Total, peak = total;
        int peakSegment = -1, peakEvent = -1;
        for (int si = 0; si < segs.Length; si++)
        {
            var seg = segs[si];
            var ev = seg.Events;
            delta.Clear();
            long offset = 0, maxOffset = 0;
            int maxIndex = -1;
            for (int k = 0; k < ev.Length; k++)
            {
                ref readonly var e = ref ev[k];
                long b = e.Exact ? e.Size.Const : TRound.Apply(e.Size.Bytes(tokens, seq));
                if (e.IsFree) b = -b;
                offset += b;
                delta[(int)e.Category] += b;
                if (offset > maxOffset)
                {
                    maxOffset = offset;
                    maxIndex = k;
                }
            }
            // The running total after r repetitions is start + r·offset, so the highest repetition is the last
            // when the segment grows memory and the first otherwise.
            long reps = offset > 0 ? seg.Repeat - 1 : 0;
            long candidate = total + reps * offset + maxOffset;
            if (maxIndex >= 0 && candidate > peak)
            {
                peak = candidate;
                peakSegment = si;
                peakEvent = maxIndex;
                // Categories at the segment's maximum: replay it up to that event (rare: only for new peaks).
                deltaAtMax.Clear();
                for (int k = 0; k <= maxIndex; k++)
                {
                    ref readonly var e = ref ev[k];
                    long b = e.Exact ? e.Size.Const : TRound.Apply(e.Size.Bytes(tokens, seq));
                    deltaAtMax[(int)e.Category] += e.IsFree ? -b : b;
                }
                for (int c = 0; c < 5; c++) atPeak[c] = running[c] + reps * delta[c] + deltaAtMax[c];
            }
            for (int c = 0; c < 5; c++) running[c] += seg.Repeat * delta[c];
            total += seg.Repeat * offset;
        }
        var breakdown = new CategoryBytes
        {
            Weights = atPeak[0], Gradients = atPeak[1], OptimizerStates = atPeak[2], Activations = atPeak[3], Other = atPeak[4],
        };
        return peakSegment < 0
            ? new StepPeak(peak, breakdown, "start", "persistent")
            : new StepPeak(peak, breakdown, segs[peakSegment].Phase, segs[peakSegment].Events[peakEvent].Label);
    }

    /// <summary>The bytes alive per category after every event, blocks expanded: the predicted allocation timeline
    /// (what PyTorch's <c>torch.cuda.memory._record_memory_history</c> and memory_viz show of a real run). Index 0 is the
    /// persistent state before the step.</summary>
    public IEnumerable<TimelinePoint> Timeline(long tokens, long seq)
    {
        var running = Persistent;
        yield return new TimelinePoint(0, "start", "persistent", running);
        int index = 0;
        foreach (var seg in segs)
            for (int r = 0; r < seg.Repeat; r++)
                foreach (var e in seg.Events)
                {
                    long b = e.Exact ? e.Size.Const : Memory.Rounding.Apply(e.Size.Bytes(tokens, seq), Rounding);
                    running.Add(e.Category, e.IsFree ? -b : b);
                    yield return new TimelinePoint(++index, seg.Repeat > 1 ? $"{seg.Phase} {r + 1}/{seg.Repeat}" : seg.Phase, e.Label, running);
                }
    }

    /// <summary>The running total after every event, blocks expanded (for timelines and plots).</summary>
    public IEnumerable<(string Phase, string Label, long TotalBytes)> Trace(long tokens, long seq)
    {
        if (LongSequences is not null && seq >= LongSequencesFrom) return LongSequences.Trace(tokens, seq);
        return TraceSegments(tokens, seq);
    }

    IEnumerable<(string Phase, string Label, long TotalBytes)> TraceSegments(long tokens, long seq)
    {
        long total = Persistent.Total;
        yield return ("start", "persistent", total);
        foreach (var seg in segs)
            for (int r = 0; r < seg.Repeat; r++)
                foreach (var e in seg.Events)
                {
                    long b = e.Exact ? e.Size.Const : Memory.Rounding.Apply(e.Size.Bytes(tokens, seq), Rounding);
                    total += e.IsFree ? -b : b;
                    yield return (seg.Repeat > 1 ? $"{seg.Phase} {r + 1}/{seg.Repeat}" : seg.Phase, e.Label, total);
                }
    }
}
