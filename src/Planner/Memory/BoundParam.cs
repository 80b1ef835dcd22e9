namespace GaLore.Planner.Memory;

/// <summary>
/// A concrete parameter bound to a graph's parameter role for one simulated step: how large its
/// gradient is and what its update costs when updates are layerwise.
/// </summary>
public sealed class BoundParam(string name, long gradBytes, int uses, long layerwiseUpdateBytes)
{
    /// <summary>Parameter name (for labels).</summary>
    public string Name { get; } = name;

    /// <summary>Index of the parameter in the model's parameter table (for <see cref="StepHooks"/>).</summary>
    public int Parameter { get; init; } = -1;

    /// <summary>Bytes of its <c>.grad</c>.</summary>
    public long GradBytes { get; } = gradBytes;

    /// <summary>How many ops read it (2 for a tied embedding); its gradient is complete after the last.</summary>
    public int Uses { get; } = uses;

    /// <summary>Transient bytes of its update inside backward, or -1 when updates are not layerwise.</summary>
    public long LayerwiseUpdateBytes { get; } = layerwiseUpdateBytes;

    internal int PendingUses;

    /// <summary>Whether this micro-batch's gradient of the parameter is alive.</summary>
    public bool GradAlive { get; internal set; }

    /// <summary>Whether another parameter records the same events in a step: same gradient size, uses and update cost,
    /// and the same state so far.</summary>
    internal bool BehavesLike(BoundParam other) =>
        GradBytes == other.GradBytes && Uses == other.Uses && LayerwiseUpdateBytes == other.LayerwiseUpdateBytes
        && PendingUses == other.PendingUses && GradAlive == other.GradAlive;

    internal void Reset()
    {
        PendingUses = Uses;
        GradAlive = false;
    }

    /// <summary>Takes over another parameter's step state (a block repeated without being simulated again).</summary>
    internal void CopyStateFrom(BoundParam other)
    {
        PendingUses = other.PendingUses;
        GradAlive = other.GradAlive;
    }
}
