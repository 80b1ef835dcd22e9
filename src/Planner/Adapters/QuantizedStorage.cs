using GaLore.Planner.Optimizers;

namespace GaLore.Planner.Adapters;

/// <summary>One tensor a quantized base weight is stored as.</summary>
/// <param name="Name">bitsandbytes' name (weight, absmax, state2.absmax, …).</param>
/// <param name="Elements">Number of elements.</param>
/// <param name="Type">Element type (4-bit codes pack two per byte).</param>
public readonly record struct StoredTensor(string Name, long Elements, DType Type)
{
    /// <summary>Bytes held.</summary>
    public long Bytes => Type.BytesOf(Elements);
}

/// <summary>
/// The tensors bitsandbytes keeps for one quantized <c>nn.Linear</c> weight of n = out × in elements.
/// <list type="bullet">
/// <item>4-bit (<c>Params4bit</c>, <c>functional.quantize_4bit</c>, blocksize 64): packed codes, two per byte (⌈n/2⌉ bytes,
/// whatever <c>quant_storage</c>'s dtype), the 16-entry float32 code table of its <c>QuantState</c>, and either a float32
/// absmax per block of 64 or — with double quantization (<c>compress_statistics</c>) — the absmax minus its mean
/// (<c>offset</c>, one float32) quantized to uint8 by <c>quantize_blockwise(blocksize=256)</c>, which keeps a float32
/// absmax per 256 first-level blocks and a copy of the 256-entry dynamic code (<c>code.to(device, copy=True)</c>).</item>
/// <item>int8 (<c>Int8Params</c>, <c>int8_vectorwise_quant</c>): int8 rows (CB) and a float32 scale per row (SCB).</item>
/// </list>
/// Per element that is 0.5625 B (4-bit), 0.5159 B (4-bit with double quantization) and 1 B (+4 B per row) for int8.
/// </summary>
public static class QuantizedStorage
{
    /// <summary>Elements per absmax block of the 4-bit base (bitsandbytes' default blocksize).</summary>
    public const int BlockSize = 64;

    /// <summary>First-level blocks per second-level block under double quantization.</summary>
    public const int NestedBlockSize = 256;

    /// <summary>Entries of a 4-bit code table (NF4 or FP4).</summary>
    public const int FourBitCodes = 16;

    /// <summary>Entries of the 8-bit dynamic map the nested absmax is quantized with.</summary>
    public const int DynamicCodes = 256;

    /// <summary>Number of 64-element blocks covering n elements.</summary>
    public static long Blocks(long n) => (n + BlockSize - 1) / BlockSize;

    /// <summary>Number of second-level blocks covering the first-level absmax of n elements.</summary>
    public static long NestedBlocks(long n) => (Blocks(n) + NestedBlockSize - 1) / NestedBlockSize;

    /// <summary>The stored tensors of a weight of <paramref name="rows"/> × <paramref name="cols"/> elements.</summary>
    public static IReadOnlyList<StoredTensor> Describe(BaseQuant quant, bool doubleQuant, long rows, long cols)
    {
        long n = rows * cols;
        switch (quant)
        {
            case BaseQuant.Nf4:
            case BaseQuant.Fp4:
                if (!doubleQuant)
                    return [new("weight", n, DType.UInt4), new("absmax", Blocks(n), DType.Float32), new("code", FourBitCodes, DType.Float32)];
                return
                [
                    new("weight", n, DType.UInt4),
                    new("absmax", Blocks(n), DType.UInt8),                // absmax − offset, 8-bit codes
                    new("offset", 1, DType.Float32),                      // mean of the first-level absmax
                    new("state2.absmax", NestedBlocks(n), DType.Float32),
                    new("state2.code", DynamicCodes, DType.Float32),
                    new("code", FourBitCodes, DType.Float32),
                ];
            case BaseQuant.Int8:
                return [new("weight (CB)", n, DType.Int8), new("SCB", rows, DType.Float32)];
            case BaseQuant.None:
                throw new ArgumentException("an unquantized weight has no quantized storage", nameof(quant));
            default:
                throw new ArgumentOutOfRangeException(nameof(quant), quant, "unknown base quantization");
        }
    }

    /// <summary>Bytes of the stored tensors, each rounded as the allocator rounds it.</summary>
    public static long Bytes(BaseQuant quant, bool doubleQuant, long rows, long cols, Memory.AllocationRounding rounding = Memory.AllocationRounding.None)
    {
        long total = 0;
        foreach (var t in Describe(quant, doubleQuant, rows, cols)) total += Memory.Rounding.Apply(t.Bytes, rounding);
        return total;
    }

    /// <summary>
    /// Float32 bytes alive beside the dequantized weight while a 4-bit weight is dequantized on the PyTorch stack: with
    /// double quantization the absmax is first dequantized (<c>dequantize_blockwise</c>) and the offset added, into a new
    /// tensor in forward (<c>_dequant_linear_fallback</c>: <c>absmax_dq + absmax_offset</c>, two) and in place in backward
    /// (<c>dequantize_4bit</c>: <c>absmax += offset</c>, one); without it the stored absmax is read directly.
    /// </summary>
    public static long NestedAbsmaxBytes(bool doubleQuant, long elements, bool forward) =>
        doubleQuant ? (forward ? 2 : 1) * 4 * Blocks(elements) : 0;
}
