namespace GaLore.Planner.Memory;

/// <summary>One allocation or free in the simulated training step.</summary>
/// <param name="Size">Bytes, as a function of the token batch.</param>
/// <param name="Category">Which breakdown row the bytes belong to.</param>
/// <param name="IsFree">True for a free, false for an allocation.</param>
/// <param name="Label">What happened, e.g. "forward q_proj: out" (for timelines).</param>
/// <param name="Exact">The size is already rounded as the program's allocator rounds (a merged run of
/// fixed-size events); the evaluator must not round it again.</param>
public readonly record struct StepEvent(Extent Size, MemoryCategory Category, bool IsFree, string Label, bool Exact = false)
{
    /// <summary>Field-by-field equality without going through generic comparers (keeps start-up JIT-free).</summary>
    public static bool Same(in StepEvent a, in StepEvent b) =>
        a.Size.Const == b.Size.Const && a.Size.PerToken == b.Size.PerToken && a.Size.PerTokenSeq == b.Size.PerTokenSeq
        && a.Size.TokenCap == b.Size.TokenCap
        && a.Category == b.Category && a.IsFree == b.IsFree && a.Exact == b.Exact && string.Equals(a.Label, b.Label);
}

/// <summary>
/// A run of events; <see cref="Repeat"/> &gt; 1 stands for identical consecutive decoder blocks,
/// which lets the evaluator find the peak of L blocks in one pass over one block.
/// </summary>
/// <param name="Phase">Human-readable phase ("forward: block", "optimizer step", …).</param>
/// <param name="Events">The events of one repetition.</param>
/// <param name="Repeat">How many times the events happen back to back.</param>
public sealed record StepSegment(string Phase, StepEvent[] Events, int Repeat)
{
    /// <summary>Whether two segments do exactly the same thing (so they can be merged).</summary>
    public bool SameEventsAs(StepSegment other)
    {
        if (Phase != other.Phase || Events.Length != other.Events.Length) return false;
        for (int k = 0; k < Events.Length; k++)
            if (!StepEvent.Same(Events[k], other.Events[k])) return false;
        return true;
    }
}

/// <summary>A growable buffer of events (non-generic, so it costs no JIT at start-up).</summary>
public sealed class EventLog
{
    StepEvent[] items = new StepEvent[256];

    /// <summary>Events recorded since the last <see cref="Drain"/>.</summary>
    public int Count { get; private set; }

    /// <summary>Appends an event.</summary>
    public void Add(in StepEvent e)
    {
        if (Count == items.Length)
        {
            var bigger = new StepEvent[items.Length * 2];
            Array.Copy(items, bigger, Count);
            items = bigger;
        }
        items[Count++] = e;
    }

    /// <summary>Returns the recorded events and empties the log.</summary>
    public StepEvent[] Drain()
    {
        var result = new StepEvent[Count];
        Array.Copy(items, result, Count);
        Count = 0;
        return result;
    }
}
