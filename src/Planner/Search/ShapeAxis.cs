namespace GaLore.Planner.Search;

/// <summary>An axis of the batch shape that <see cref="AxisSearch"/> searches; the other is held fixed.</summary>
public enum ShapeAxis
{
    /// <summary>Micro-batch size (sequences per step).</summary>
    Batch,
    /// <summary>Sequence length (tokens).</summary>
    Seq,
}
