namespace GaLore.Planner.Memory;

/// <summary>
/// A tensor's size as a function of the token batch: <c>bytes = Const + min(PerToken·T, TokenCap) + PerTokenSeq·T·s</c>
/// with T = batch × sequence tokens and s the sequence length (TokenCap = 0: no cap). Weights and states are pure
/// <see cref="Const"/>; activations scale with T; a materialised attention matrix (b·heads·s·s elements = T·heads·s)
/// scales with T·s; scratch that works through the tokens in fixed-size blocks grows with T up to its cap.
/// </summary>
public readonly record struct Extent(long Const, long PerToken, long PerTokenSeq, long TokenCap = 0)
{
    /// <summary>No memory.</summary>
    public static readonly Extent Zero = default;

    /// <summary>A size independent of the batch.</summary>
    public static Extent Fixed(long bytes) => new(bytes, 0, 0);

    /// <summary>A size proportional to the token count.</summary>
    public static Extent Tokens(long bytesPerToken) => new(0, bytesPerToken, 0);

    /// <summary>A size proportional to tokens × sequence length.</summary>
    public static Extent TokensBySeq(long bytesPerTokenPerPosition) => new(0, 0, bytesPerTokenPerPosition);

    /// <summary>Proportional to the tokens up to <paramref name="capBytes"/>.</summary>
    public static Extent TokensUpTo(long bytesPerToken, long capBytes) => new(0, bytesPerToken, 0, capBytes);

    /// <summary>Bytes for a batch of <paramref name="tokens"/> tokens in sequences of <paramref name="seq"/>.</summary>
    public long Bytes(long tokens, long seq)
    {
        long perToken = PerToken * tokens;
        if (TokenCap > 0 && perToken > TokenCap) perToken = TokenCap;
        return Const + perToken + PerTokenSeq * tokens * seq;
    }

    /// <summary>Whether the size is zero for every batch.</summary>
    public bool IsZero => Const == 0 && PerToken == 0 && PerTokenSeq == 0;

    /// <summary>Whether the size is the same for every batch.</summary>
    public bool IsFixed => PerToken == 0 && PerTokenSeq == 0;

    /// <summary>Sum of two uncapped sizes (a sum of capped terms is not an <see cref="Extent"/>).</summary>
    public static Extent operator +(Extent a, Extent b) =>
        a.TokenCap == 0 && b.TokenCap == 0
            ? new(a.Const + b.Const, a.PerToken + b.PerToken, a.PerTokenSeq + b.PerTokenSeq)
            : throw new InvalidOperationException("capped extents do not add");
}
