namespace GaLore.Planner.Memory;

/// <summary>
/// A step program compiled for the peak alone (the verdicts of searches and sweeps). A step's shape-dependent events use few
/// distinct sizes (a block's activations are a handful of shapes, allocated and freed again, block after block), so each
/// distinct size is computed and rounded once per evaluation into a table holding it with both signs; every run of events
/// whose size does not depend on the batch shape becomes two table entries fixed at compile time — a rise to the highest
/// running total inside the run, then the fall to its net. A segment is then a list of table indices, and the evaluation
/// is the same prefix-maximum scan as <see cref="StepProgram.Evaluate"/> (a segment repeated r times peaks in its last
/// repetition when it grows memory, in its first otherwise) reduced to one load, one add and one compare per item.
/// Exact equality with the general evaluator is tested over the model and optimizer catalogues.
/// </summary>
internal sealed class PeakKernel
{
    readonly Extent[] sizes;           // distinct shape-dependent sizes: table entries 2u (+) and 2u + 1 (−)
    readonly long[] fixedEntries;      // then the constant runs' rise and fall, from entry 2·sizes.Length on
    readonly int[] items;              // table indices, segment after segment
    readonly int[] segmentStart;
    readonly long[] repeat;
    readonly long persistentBytes;
    readonly AllocationRounding rounding;

    PeakKernel(Extent[] sizes, long[] fixedEntries, int[] items, int[] segmentStart, long[] repeat, long persistentBytes, AllocationRounding rounding)
    {
        (this.sizes, this.fixedEntries, this.items, this.segmentStart, this.repeat) = (sizes, fixedEntries, items, segmentStart, repeat);
        (this.persistentBytes, this.rounding) = (persistentBytes, rounding);
    }

    /// <summary>Compiles <paramref name="segments"/> under <paramref name="rounding"/>. Plain arrays only: a generic collection
    /// over a value type is not precompiled (ReadyToRun) and would be JIT-compiled at each process start (fit's start-up).</summary>
    public static PeakKernel Compile(IReadOnlyList<StepSegment> segments, long persistentBytes, AllocationRounding rounding)
    {
        var sizes = new Extent[16];
        int sizeCount = 0;
        var items = new int[256];
        int itemCount = 0;
        var runAt = new int[16];
        var runValues = new long[32];      // rise, fall per constant run
        int runCount = 0;
        var starts = new int[segments.Count + 1];
        var repeat = new long[segments.Count];
        for (int s = 0; s < segments.Count; s++)
        {
            starts[s] = itemCount;
            repeat[s] = segments[s].Repeat;
            long net = 0, top = long.MinValue;
            bool open = false;
            foreach (var e in segments[s].Events)
            {
                if (e.Exact || e.Size.IsFixed)
                {
                    long bytes = e.Exact || rounding == AllocationRounding.None ? e.Size.Const : Rounding.Apply(e.Size.Const, rounding);
                    net += e.IsFree ? -bytes : bytes;
                    top = Math.Max(top, net);
                    open = true;
                    continue;
                }
                if (open) CloseRun(net, top);
                (net, top, open) = (0, long.MinValue, false);
                int u = IndexOf(sizes, sizeCount, e.Size);
                if (u < 0)
                {
                    if (sizeCount == sizes.Length) sizes = (Extent[])Grown(sizes, new Extent[2 * sizes.Length]);
                    sizes[u = sizeCount++] = e.Size;
                }
                if (itemCount == items.Length) items = (int[])Grown(items, new int[2 * items.Length]);
                items[itemCount++] = 2 * u + (e.IsFree ? 1 : 0);
            }
            if (open) CloseRun(net, top);
        }
        starts[segments.Count] = itemCount;
        // Constant runs' entries follow the distinct sizes' 2·count entries.
        for (int r = 0; r < runCount; r++)
        {
            items[runAt[r]] = 2 * sizeCount + 2 * r;
            items[runAt[r] + 1] = 2 * sizeCount + 2 * r + 1;
        }
        return new PeakKernel((Extent[])Grown(sizes, new Extent[sizeCount]), (long[])Grown(runValues, new long[2 * runCount]),
            (int[])Grown(items, new int[itemCount]), starts, repeat, persistentBytes, rounding);

        void CloseRun(long net, long top)
        {
            if (runCount == runAt.Length)
            {
                runAt = (int[])Grown(runAt, new int[2 * runAt.Length]);
                runValues = (long[])Grown(runValues, new long[2 * runAt.Length]);
            }
            runAt[runCount] = itemCount;
            runValues[2 * runCount] = top;
            runValues[2 * runCount + 1] = net - top;
            runCount++;
            if (itemCount + 2 > items.Length) items = (int[])Grown(items, new int[2 * items.Length]);
            itemCount += 2;
        }
    }

    /// <summary>Copies the start of <paramref name="from"/> into <paramref name="to"/> (growing or trimming) and returns it.</summary>
    static Array Grown(Array from, Array to)
    {
        Array.Copy(from, to, Math.Min(from.Length, to.Length));
        return to;
    }

    static int IndexOf(Extent[] sizes, int count, Extent size)
    {
        for (int u = 0; u < count; u++)
        {
            var x = sizes[u];
            if (x.Const == size.Const && x.PerToken == size.PerToken && x.PerTokenSeq == size.PerTokenSeq && x.TokenCap == size.TokenCap) return u;
        }
        return -1;
    }

    /// <summary>The peak at (<paramref name="tokens"/>, <paramref name="seq"/>): equal to
    /// <see cref="StepProgram.Evaluate"/>'s <c>PeakBytes</c>.</summary>
    public long PeakBytes(long tokens, long seq) => rounding switch
    {
        AllocationRounding.CudaAllocated => Scan<Round512>(tokens, seq),
        AllocationRounding.CudaReserved => Scan<RoundReserved>(tokens, seq),
        AllocationRounding.None => Scan<NoRounding>(tokens, seq),
        AllocationRounding.HostMalloc => Scan<RoundHost>(tokens, seq),
        _ => throw new InvalidOperationException($"unknown rounding {rounding}"),
    };

    const int StackEntries = 512;

    long Scan<TRound>(long tokens, long seq) where TRound : struct, IRoundingStrategy
    {
        int entries = 2 * sizes.Length + fixedEntries.Length;
        Span<long> table = entries <= StackEntries ? stackalloc long[entries] : new long[entries];
        for (int u = 0; u < sizes.Length; u++)
        {
            long bytes = TRound.Apply(sizes[u].Bytes(tokens, seq));
            table[2 * u] = bytes;
            table[2 * u + 1] = -bytes;
        }
        for (int f = 0, at = 2 * sizes.Length; f < fixedEntries.Length; f++) table[at + f] = fixedEntries[f];
        long total = persistentBytes, peak = total;
        var items = this.items;
        for (int s = 0; s < repeat.Length; s++)
        {
            long offset = 0, maxOffset = 0;
            for (int i = segmentStart[s], end = segmentStart[s + 1]; i < end; i++)
            {
                offset += table[items[i]];
                if (offset > maxOffset) maxOffset = offset;
            }
            // As in StepProgram: a segment whose running total never rises above its start sets no peak.
            long reps = offset > 0 ? repeat[s] - 1 : 0;
            long candidate = total + reps * offset + maxOffset;
            if (maxOffset > 0 && candidate > peak) peak = candidate;
            total += repeat[s] * offset;
        }
        return peak;
    }
}
