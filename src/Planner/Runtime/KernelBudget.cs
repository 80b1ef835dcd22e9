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

    /// <summary>Elements the nearest-code search (<c>DynamicQuantizationMap.EncodeInto</c>) works through at a time while a
    /// chunk is requantized: a quarter chunk, so its 12 B per element stay under the chunk's other phases; not slower than
    /// searching the whole chunk at once (its intermediates stay in cache).</summary>
    public const long QuantEncodeElements = 1 << 18;

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
}
