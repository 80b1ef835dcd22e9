namespace GaLore.Planner.Sweep;

/// <summary>An axis a sweep can vary.</summary>
public enum SweepAxis
{
    /// <summary>GaLore rank r.</summary>
    Rank,
    /// <summary>Micro-batch size (sequences).</summary>
    Batch,
    /// <summary>Sequence length (tokens).</summary>
    Seq,
}
