namespace GaLore.Planner.Memory;

/// <summary>
/// Shortens an event sequence without changing its peak, its final total, or the breakdown at the peak:
/// <list type="bullet">
/// <item>a run of allocations of one category becomes one allocation of their sum (the running total only rises,
/// so the run's maximum is its end);</item>
/// <item>a run of frees of one category becomes one free of their sum (the total only falls);</item>
/// <item>consecutive transient pairs (allocate x, free x) of one category become the single pair whose size
/// dominates the others in every component (the total returns to the same level after each pair).</item>
/// </list>
/// The optimizer step (one transient pair per parameter) and <c>zero_grad</c> (one free per gradient) shrink
/// from hundreds of events to a few, which is what lets the planner evaluate millions of configurations a second.
/// Under allocator rounding each tensor is rounded on its own, so runs are merged only when every event has a
/// fixed size: the merged event carries the sum of the rounded sizes and is marked <see cref="StepEvent.Exact"/>.
/// Rounding is monotone, so merging dominated transient pairs stays exact under any rounding.
/// </summary>
public static class EventCompactor
{
    /// <summary>Returns the compacted events (labels of merged runs are those of the event that sets the peak).</summary>
    public static StepEvent[] Compact(StepEvent[] events, AllocationRounding rounding)
    {
        var output = new EventLog();
        int k = 0;
        while (k < events.Length)
        {
            var e = events[k];
            // Transient pairs: alloc x, free x (same size and category), possibly many in a row.
            if (IsPair(events, k) && !e.Exact)
            {
                var best = e;
                int j = k + 2;
                bool merged = true;
                while (IsPair(events, j) && events[j].Category == e.Category && !events[j].Exact)
                {
                    if (Dominates(events[j].Size, best.Size)) best = events[j];
                    else if (!Dominates(best.Size, events[j].Size)) { merged = false; break; }
                    j += 2;
                }
                if (merged && j > k + 2)
                {
                    output.Add(best);
                    output.Add(best with { IsFree = true, Label = events[j - 1].Label });
                    k = j;
                    continue;
                }
            }
            // Runs of allocations or of frees of one category.
            bool rounded = rounding != AllocationRounding.None;
            int end = k + 1;
            while (end < events.Length && events[end].IsFree == e.IsFree && events[end].Category == e.Category && !IsPair(events, end)
                   && (rounded ? IsFixed(e) && IsFixed(events[end]) : e.Size.TokenCap == 0 && events[end].Size.TokenCap == 0))
                end++;
            if (end == k + 1) output.Add(e);
            else if (!rounded)
            {
                var sum = e.Size;
                for (int j = k + 1; j < end; j++) sum += events[j].Size;
                output.Add(e with { Size = sum, Label = events[end - 1].Label });
            }
            else
            {
                long bytes = 0;
                for (int j = k; j < end; j++) bytes += events[j].Exact ? events[j].Size.Const : Rounding.Apply(events[j].Size.Const, rounding);
                output.Add(e with { Size = Extent.Fixed(bytes), Label = events[end - 1].Label, Exact = true });
            }
            k = end;
        }
        return output.Drain();
    }

    static bool IsPair(StepEvent[] ev, int k) =>
        k + 1 < ev.Length && !ev[k].IsFree && ev[k + 1].IsFree && ev[k].Category == ev[k + 1].Category && Dominates(ev[k].Size, ev[k + 1].Size) && Dominates(ev[k + 1].Size, ev[k].Size);

    static bool IsFixed(in StepEvent e) => e.Size.IsFixed;

    static bool Dominates(Extent a, Extent b) =>
        a.Const >= b.Const && a.PerToken >= b.PerToken && a.PerTokenSeq >= b.PerTokenSeq && a.TokenCap == b.TokenCap;
}
