namespace GaLore.Planner.Memory;

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

    /// <summary>The step's events, in order.</summary>
    public IReadOnlyList<StepSegment> Segments { get; } = segments;

    readonly StepSegment[] segs = segments.ToArray();

    /// <summary>Finds the peak for a batch of <paramref name="tokens"/> tokens of sequence length <paramref name="seq"/>.</summary>
    public StepPeak Evaluate(long tokens, long seq)
    {
        var rounding = Rounding;
        var running = Persistent;
        long total = running.Total;
        long peak = total;
        var atPeak = running;
        string phase = "start", label = "persistent";
        foreach (var seg in segs)
        {
            var ev = seg.Events;
            // One pass over one repetition: track the highest offset from the segment's start.
            var delta = default(CategoryBytes);
            long offset = 0, maxOffset = 0;
            var deltaAtMax = delta;
            int maxIndex = -1;
            for (int k = 0; k < ev.Length; k++)
            {
                long b = ev[k].Exact ? ev[k].Size.Const : Memory.Rounding.Apply(ev[k].Size.Bytes(tokens, seq), rounding);
                if (ev[k].IsFree) b = -b;
                delta.Add(ev[k].Category, b);
                offset += b;
                if (offset > maxOffset)
                {
                    maxOffset = offset;
                    deltaAtMax = delta;
                    maxIndex = k;
                }
            }
            // The running total after r repetitions is start + r·offset; the highest repetition is the
            // last if the segment grows memory, else the first.
            long reps = offset > 0 ? seg.Repeat - 1 : 0;
            long candidate = total + reps * offset + maxOffset;
            if (maxIndex >= 0 && candidate > peak)
            {
                peak = candidate;
                atPeak = Sum(running, Scale(delta, reps), deltaAtMax);
                phase = seg.Phase;
                label = ev[maxIndex].Label;
            }
            running = Sum(running, Scale(delta, seg.Repeat), default);
            total += seg.Repeat * offset;
        }
        return new StepPeak(peak, atPeak, phase, label);
    }

    /// <summary>The running total after every event, blocks expanded (for timelines and plots).</summary>
    public IEnumerable<(string Phase, string Label, long TotalBytes)> Trace(long tokens, long seq)
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

    static CategoryBytes Scale(CategoryBytes c, long k) => new()
    {
        Weights = c.Weights * k, Gradients = c.Gradients * k, OptimizerStates = c.OptimizerStates * k,
        Activations = c.Activations * k, Other = c.Other * k,
    };

    static CategoryBytes Sum(CategoryBytes a, CategoryBytes b, CategoryBytes c) => new()
    {
        Weights = a.Weights + b.Weights + c.Weights, Gradients = a.Gradients + b.Gradients + c.Gradients,
        OptimizerStates = a.OptimizerStates + b.OptimizerStates + c.OptimizerStates,
        Activations = a.Activations + b.Activations + c.Activations, Other = a.Other + b.Other + c.Other,
    };
}
