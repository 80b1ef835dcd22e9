namespace GaLore.Planner.Runtime;

/// <summary>
/// Sizes this project's TorchSharp kernels (<c>src/Kernels</c>) are built around, shared so that the kernels and the
/// planner's <c>torchsharp</c> runtime profile cannot drift apart.
/// </summary>
public static class KernelBudget
{
    /// <summary>Elements the 8-bit optimizer dequantizes, updates and requantizes at a time (a multiple of the 256-element
    /// block). 2²⁰ keeps the transient near 26 MiB while making the per-chunk op overhead negligible (2¹⁶ was 10× slower).</summary>
    public const long QuantChunkElements = 1 << 20;

    /// <summary>Bytes per chunk element that bound what is alive while a chunk is updated: float32 gradient, two
    /// dequantized moments and the denominator (4 × 4 B) during the moment update; while a moment is requantized,
    /// the two moments (8 B) plus the nearest-code search (float32 mantissa, int32 exponent key, int32 slice and a
    /// bool: 13 B). 26 B covers both phases.</summary>
    public const long QuantChunkBytesPerElement = 4 * 4 + 8 + 2;

    /// <summary>Bytes of one float32 block of token rows the fused RMSNorm works through at a time; at most three such
    /// blocks are alive in its forward or backward, so its scratch is a constant, not proportional to the tokens.</summary>
    public const long NormBlockBytes = 1 << 20;

    /// <summary>Float32 row blocks the fused RMSNorm holds at once.</summary>
    public const int NormBlocksAlive = 3;

    /// <summary>Elements of a 4-bit weight the TorchSharp dequantizer decodes at a time (a multiple of the 64-element block)
    /// into the dequantized weight: small, because the planner counts this scratch through the whole matmul that follows
    /// (128 KiB).</summary>
    public const long DequantChunkElements = 1 << 14;

    /// <summary>Bytes per chunk element alive while a chunk is decoded: the int32 code indices (4 B) beside the float32
    /// looked-up values (4 B); the two uint8 nibble halves and their interleaving (2 B) are gone by then.</summary>
    public const long DequantChunkBytesPerElement = 8;
}
