namespace GaLore.Planner.Memory;

/// <summary>One allocation or free in the simulated training step.</summary>
/// <param name="Size">Bytes, as a function of the token batch.</param>
/// <param name="Category">Which breakdown row the bytes belong to.</param>
/// <param name="IsFree">True for a free, false for an allocation.</param>
/// <param name="Label">What happened, e.g. "forward q_proj: out" (for timelines).</param>
public readonly record struct StepEvent(Extent Size, MemoryCategory Category, bool IsFree, string Label);

/// <summary>
/// A run of events; <see cref="Repeat"/> &gt; 1 stands for identical consecutive decoder blocks,
/// which lets the evaluator find the peak of L blocks in one pass over one block.
/// </summary>
/// <param name="Phase">Human-readable phase ("forward block", "optimizer step", …).</param>
/// <param name="Events">The events of one repetition.</param>
/// <param name="Repeat">How many times the events happen back to back.</param>
public sealed record StepSegment(string Phase, StepEvent[] Events, int Repeat)
{
    /// <summary>Whether two segments do exactly the same thing (so they can be merged).</summary>
    public bool SameEventsAs(StepSegment other) =>
        Phase == other.Phase && Events.AsSpan().SequenceEqual(other.Events);
}
