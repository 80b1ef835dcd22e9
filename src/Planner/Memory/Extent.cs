namespace GaLore.Planner.Memory;

/// <summary>
/// A tensor's size as a function of the token batch: <c>bytes = Const + PerToken·T + PerTokenSeq·T·s</c>
/// with T = batch × sequence tokens and s the sequence length. Weights and states are pure
/// <see cref="Const"/>; activations scale with T; a materialised attention matrix (b·heads·s·s
/// elements = T·heads·s) scales with T·s.
/// </summary>
public readonly record struct Extent(long Const, long PerToken, long PerTokenSeq)
{
    /// <summary>No memory.</summary>
    public static readonly Extent Zero = default;

    /// <summary>A size independent of the batch.</summary>
    public static Extent Fixed(long bytes) => new(bytes, 0, 0);

    /// <summary>A size proportional to the token count.</summary>
    public static Extent Tokens(long bytesPerToken) => new(0, bytesPerToken, 0);

    /// <summary>A size proportional to tokens × sequence length.</summary>
    public static Extent TokensBySeq(long bytesPerTokenPerPosition) => new(0, 0, bytesPerTokenPerPosition);

    /// <summary>Bytes for a batch of <paramref name="tokens"/> tokens in sequences of <paramref name="seq"/>.</summary>
    public long Bytes(long tokens, long seq) => Const + PerToken * tokens + PerTokenSeq * tokens * seq;

    /// <summary>Whether the size is zero for every batch.</summary>
    public bool IsZero => Const == 0 && PerToken == 0 && PerTokenSeq == 0;

    public static Extent operator +(Extent a, Extent b) => new(a.Const + b.Const, a.PerToken + b.PerToken, a.PerTokenSeq + b.PerTokenSeq);

    public static Extent operator *(long k, Extent a) => new(k * a.Const, k * a.PerToken, k * a.PerTokenSeq);
}
