using GaLore.Planner.Optimizers;

namespace GaLore.Planner.Runtime;

/// <summary>
/// Sizes this project's TorchSharp kernels (<c>src/Kernels</c>) are built around, shared so that the kernels and the
/// planner's <c>torchsharp</c> runtime profile cannot drift apart.
/// </summary>
public static class KernelBudget
{
    /// <summary>Elements the 8-bit optimizer dequantizes, updates and requantizes at a time (a multiple of the 256-element
    /// block). 2²⁰ keeps the transient near 12 MiB (<see cref="QuantChunkTransientBytes"/>) while making the per-chunk op
    /// overhead negligible (2¹⁶ was 10× slower).</summary>
    public const long QuantChunkElements = 1 << 20;

    /// <summary>Elements the nearest-code search (<c>DynamicQuantizationMap.EncodeInto</c>) works through at a time while a
    /// chunk is requantized: a quarter chunk, so its 12 B per element stay under the chunk's other phases; not slower than
    /// searching the whole chunk at once (its intermediates stay in cache).</summary>
    public const long QuantEncodeElements = 1 << 18;

    /// <summary>Bytes per element alive at once inside the nearest-code search (<c>NearestCodeEncoder.Encode</c>), its
    /// int32 result included: float32 mantissa + int32 exponent + int32 slice (<c>frexp</c>, then <c>trunc(2S·m)</c>).
    /// Later moments hold less: key + index (8 B); index + float32 next midpoint + bool (9 B); index + bool + the bool's
    /// int32 promotion in <c>index.add_(above)</c> (9 B).</summary>
    public const long QuantEncodeBytesPerElement = 4 + 4 + 4;

    /// <summary>
    /// Most bytes alive at once, beyond the weight, its gradient and the 8-bit states, while <c>AdamW8bitRule.Apply</c>
    /// (<c>src/Kernels/Optimizers/Rules/AdamW8bitRule.cs</c>) updates one chunk of L = <paramref name="chunkElements"/>
    /// elements with block-wise states; S = min(L, <see cref="QuantEncodeElements"/>), B = ⌈L / 256⌉ blocks. Phase by
    /// phase, in the kernel's order (every tensor below is created and freed inside the chunk's dispose scope):
    /// <list type="number">
    /// <item>load m, then v (<c>BlockwiseCodec.Load</c> → <c>BlockwiseQuantizer.Dequantize</c>: <c>codes.to(Int32)</c> 4L,
    /// <c>Table.index_select</c> 4L, the index freed at once, <c>mul_</c> by absmax in place): while v is loaded,
    /// m 4L + index 4L + v 4L = <b>12L</b>;</item>
    /// <item>moments (<c>m.mul_.add_</c>, <c>v.mul_.addcmul_</c>, in place): m, v and the float32 gradient chunk
    /// (<c>narrow(...).to(Float32)</c>, a copy only when the gradient is not float32) = 8L + 4L at most;</item>
    /// <item>denominator and update (<c>v.sqrt()</c> 4L, then <c>div_</c>, <c>add_</c> in place; the sink turns it into
    /// m / denom in place with <c>reciprocal_().mul_</c> and disposes its views of it, so it is freed when the rule's
    /// <c>using</c> ends): m + v + denom = <b>12L</b>, plus
    /// <paramref name="castBytes"/>·L when <c>DirectSink</c> casts the chunk's update to a non-float32 weight
    /// (<c>den.to(weight.dtype)</c>); <c>ProjectedSink</c> copies the chunk into its collected N (not a temporary, see
    /// <see cref="RuntimeProfile"/>);</item>
    /// <item>requantize m, then v (<c>BlockwiseCodec.Store</c> → <c>BlockwiseQuantizer.Quantize</c>): m and v (8L) stay
    /// alive, the chunk is normalised in place; per block, <c>amax</c>, <c>amin</c>, <c>maximum</c> and
    /// <c>clamp_min</c> make four float32 vectors (16B, freed before the search), then the search runs over slices of S
    /// elements: <see cref="QuantEncodeBytesPerElement"/>·S, each slice's int32 index copied into the uint8 codes
    /// (<c>copy_</c> converts in place) and freed. The new absmax is written into the state: nothing new. Peak
    /// 8L + 12S.</item>
    /// </list>
    /// Hence max(12L + castBytes·L, 8L + 12S); 8L + 16B never exceeds it. For L = 2²⁰, S = L / 4: 12 B per element
    /// (14 B with a bf16 weight), 12 MiB a chunk; a tensor under 2¹⁸ elements is one slice: 20 B per element.
    /// <c>tests/Kernels.Tests/Kernels/EightBitTransientTests.cs</c> measures it in a child process (within 1 % for fp32
    /// and bf16, with and without GaLore). Earlier kernels peaked while requantizing at 8L + 4L + 13L = 25 B per element
    /// (measured 24.9 MiB a chunk; the budget then was 26 B): the sinks' undisposed <c>view_as</c> / <c>view</c> handles
    /// kept the denominator alive until the chunk ended, and the search held mantissa, exponent, a bool sign, an int32
    /// slice and the bool's promotion (13 B) over the whole chunk.
    /// </summary>
    /// <param name="chunkElements">Elements in the chunk, at most <see cref="QuantChunkElements"/>.</param>
    /// <param name="castBytes">Bytes per element of the weight when the update is added straight to a weight that is not
    /// float32 (bf16: 2), else 0.</param>
    public static long QuantChunkTransientBytes(long chunkElements, int castBytes)
    {
        long search = Math.Min(chunkElements, QuantEncodeElements);
        return Math.Max((12 + castBytes) * chunkElements, 8 * chunkElements + QuantEncodeBytesPerElement * search);
    }

    /// <summary>
    /// Transient bytes of one 8-bit AdamW update over a flat state of <paramref name="elements"/> elements (the projected
    /// gradient's under GaLore): the worst chunk (<see cref="QuantChunkTransientBytes"/> of the first, largest one) for
    /// block-wise states; for tensors under <see cref="GaLore.Planner.Optimizers.Families.AdamW8bitModel.Min8BitElements"/>, whose states stay float32
    /// (<c>Float32Codec</c>: chunks are views, <c>Store</c> does nothing), the denominator 4n plus the cast (the float32
    /// gradient copy, 4n, is freed before the denominator exists).
    /// <para>What lies outside the chunks is the caller's (<see cref="RuntimeProfile"/>, <c>torchsharp</c>): under GaLore,
    /// R = project(G) (r elements in the gradient's dtype) is alive for the whole update, and <c>ProjectedSink</c>
    /// collects the chunks of N into one r-element buffer of the same dtype, created at the first chunk and freed after
    /// <c>Complete</c>'s <c>addmm_</c>; <c>full</c> projection's m × r product P·N is made there, after the last chunk's
    /// tensors are freed. So R + N + max(chunk, P·N).</para>
    /// </summary>
    public static long EightBitUpdateTransientBytes(long elements, int castBytes) =>
        elements < GaLore.Planner.Optimizers.Families.AdamW8bitModel.Min8BitElements
            ? (4 + castBytes) * elements
            : QuantChunkTransientBytes(Math.Min(elements, QuantChunkElements), castBytes);

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
