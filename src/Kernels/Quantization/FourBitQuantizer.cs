using GaLore.Kernels.Native;
using GaLore.Planner.Adapters;
using GaLore.Planner.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Kernels.Quantization;

/// <summary>
/// A weight stored as bitsandbytes stores a <c>Params4bit</c> (<c>functional.quantize_4bit</c>, blocksize 64): the packed
/// codes (two per byte, the first element in the high nibble), the 16-entry code table, and per block of 64 either a
/// float32 absmax or — with double quantization — the absmax minus its mean (<see cref="Offset"/>) quantized to uint8 in
/// blocks of 256 with the signed dynamic map (<see cref="NestedAbsmax"/>, <see cref="NestedScale"/>, <see cref="NestedCode"/>).
/// Exactly the tensors <see cref="QuantizedStorage.Describe"/> counts.
/// </summary>
public sealed class FourBitWeight : IDisposable
{
    internal FourBitWeight(BaseQuant type, long rows, long cols, ScalarType storedType, Tensor packed, Tensor code,
        Tensor? absmax, Tensor? nestedAbsmax, Tensor? offset, Tensor? nestedScale, Tensor? nestedCode)
    {
        Type = type;
        Rows = rows;
        Cols = cols;
        StoredType = storedType;
        Packed = packed;
        Code = code;
        Absmax = absmax;
        NestedAbsmax = nestedAbsmax;
        Offset = offset;
        NestedScale = nestedScale;
        NestedCode = nestedCode;
    }

    /// <summary>NF4 or FP4.</summary>
    public BaseQuant Type { get; }

    /// <summary>out_features.</summary>
    public long Rows { get; }

    /// <summary>in_features.</summary>
    public long Cols { get; }

    /// <summary>The dtype the weight had (<c>QuantState.dtype</c>); dequantization produces it.</summary>
    public ScalarType StoredType { get; }

    /// <summary>uint8, ⌈n/2⌉ bytes.</summary>
    public Tensor Packed { get; }

    /// <summary>float32 [16], this weight's copy of the code table.</summary>
    public Tensor Code { get; }

    /// <summary>float32 [⌈n/64⌉] without double quantization, else null.</summary>
    public Tensor? Absmax { get; }

    /// <summary>uint8 [⌈n/64⌉]: (absmax − offset) quantized, with double quantization.</summary>
    public Tensor? NestedAbsmax { get; }

    /// <summary>float32 scalar: the mean of the first-level absmax.</summary>
    public Tensor? Offset { get; }

    /// <summary>float32 [⌈⌈n/64⌉/256⌉]: absmax of each 256-block of the first-level absmax.</summary>
    public Tensor? NestedScale { get; }

    /// <summary>float32 [256]: this weight's copy of the dynamic map.</summary>
    public Tensor? NestedCode { get; }

    /// <summary>Whether the absmax is double-quantized.</summary>
    public bool Nested => NestedAbsmax is not null;

    /// <summary>Bytes held by every tensor.</summary>
    public long Bytes => new[] { Packed, Code, Absmax, NestedAbsmax, Offset, NestedScale, NestedCode }
        .Sum(t => t is null ? 0 : t.numel() * t.element_size());

    public void Dispose()
    {
        foreach (var t in new[] { Packed, Code, Absmax, NestedAbsmax, Offset, NestedScale, NestedCode }) t?.Dispose();
    }
}

/// <summary>
/// bitsandbytes' 4-bit block quantization (Dettmers et al. 2023, arXiv 2305.14314, §3: NF4, double quantization) in
/// TorchSharp, following its default (pure PyTorch) backend: per block of 64 the absmax; each value divided by its
/// block's absmax (clamped to [−1, 1]) is stored as the code of the nearest table value. <c>Dequantize</c> decodes
/// in chunks of <see cref="KernelBudget.DequantChunkElements"/> straight into the output, so its memory is the output,
/// a constant scratch and — with double quantization — the dequantized absmax.
/// </summary>
public static class FourBitQuantizer
{
    /// <summary>Elements per absmax block.</summary>
    public const int BlockSize = QuantizedStorage.BlockSize;

    /// <summary>Quantizes <paramref name="weight"/> (2-D, float32/bf16/fp16).</summary>
    public static FourBitWeight Quantize(Tensor weight, BaseQuant type, bool doubleQuant)
    {
        TorchNativeLoader.EnsureLoaded();
        if (weight.dim() != 2) throw new ArgumentException("4-bit quantization takes a 2-D weight", nameof(weight));
        var code = FourBitCode.Of(type);
        using var scope = NewDisposeScope();
        long rows = weight.shape[0], cols = weight.shape[1], n = rows * cols;
        var flat = weight.reshape(-1).to(ScalarType.Float32);
        long blocks = QuantizedStorage.Blocks(n), full = n / BlockSize, rest = n % BlockSize;
        var absmax = empty(blocks, ScalarType.Float32);
        var scaled = empty(n + (n % 2), ScalarType.Float32);            // an odd count is padded with one 0 (bitsandbytes' pad)
        scaled.narrow(0, n, n % 2).zero_();
        if (full > 0)
        {
            var block = flat.narrow(0, 0, full * BlockSize).view(full, BlockSize);
            var max = absmax.narrow(0, 0, full);
            max.copy_(block.abs().amax([1]));
            scaled.narrow(0, 0, full * BlockSize).view(full, BlockSize).copy_(block.div(max.clamp_min(1e-38).unsqueeze(1)).clamp_(-1, 1));
        }
        if (rest > 0)
        {
            var tail = flat.narrow(0, full * BlockSize, rest);
            var max = absmax.narrow(0, full, 1);
            max.copy_(tail.abs().amax([0], keepdim: true));
            scaled.narrow(0, full * BlockSize, rest).copy_(tail.div(max.clamp_min(1e-38)).clamp_(-1, 1));
        }
        var sorted = bucketize(scaled, code.Midpoints);                   // position among the sorted values (int64)
        var q = code.Order.index_select(0, sorted).to(ScalarType.Byte);     // the code
        var pairs = q.view(-1, 2);
        var packed = pairs.select(1, 0).mul(16).add_(pairs.select(1, 1)).contiguous();   // (first << 4) | second
        var table = code.Table.clone();
        if (!doubleQuant)
            return Keep(new FourBitWeight(type, rows, cols, weight.dtype, packed, table, absmax, null, null, null, null));
        // Double quantization (compress_statistics): offset = mean(absmax); quantize_blockwise(absmax − offset, blocksize=256).
        var offset = absmax.mean();
        var centred = absmax.sub(offset);
        var map = DynamicQuantizationMap.Signed;
        var nested = empty(blocks, ScalarType.Byte);
        var scale = empty(BlockwiseQuantizer.Blocks(blocks), ScalarType.Float32);
        BlockwiseQuantizer.Quantize(centred, map, nested, scale);
        return Keep(new FourBitWeight(type, rows, cols, weight.dtype, packed, table, null, nested, offset, scale, map.Table.clone()));
    }

    static FourBitWeight Keep(FourBitWeight w)
    {
        foreach (var t in new[] { w.Packed, w.Code, w.Absmax, w.NestedAbsmax, w.Offset, w.NestedScale, w.NestedCode }) t?.DetachFromDisposeScope();
        return w;
    }

    /// <summary>
    /// The float32 absmax per 64-block: the stored one, or with double quantization <c>dequantize_blockwise</c> of the
    /// nested codes plus the offset — a new tensor (<paramref name="inPlaceOffset"/>: the offset is added in place, as
    /// <c>dequantize_4bit</c> does; else into a second tensor, as the forward's <c>absmax_dq + absmax_offset</c>, and both are
    /// returned so the caller holds them while it decodes). Without double quantization: the stored tensor, borrowed.
    /// </summary>
    public static (Tensor Absmax, Tensor? Extra) BlockAbsmax(FourBitWeight w, bool inPlaceOffset)
    {
        if (!w.Nested) return (w.Absmax!, null);
        using var scope = NewDisposeScope();
        var dq = BlockwiseQuantizer.Dequantize(w.NestedAbsmax!, w.NestedScale!, DynamicQuantizationMap.Signed);
        if (inPlaceOffset) return (dq.add_(w.Offset!).MoveToOuterDisposeScope(), null);
        var absmax = dq.add(w.Offset!);
        return (absmax.MoveToOuterDisposeScope(), dq.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Decodes the weight into a new (rows × cols) tensor of <paramref name="dtype"/> (bitsandbytes: <c>dequantize_4bit</c>
    /// produces the stored dtype; the matmul's fallback the compute dtype). <paramref name="inPlaceOffset"/>: see
    /// <see cref="BlockAbsmax"/>.
    /// </summary>
    public static Tensor Dequantize(FourBitWeight w, ScalarType dtype, bool inPlaceOffset = true)
    {
        TorchNativeLoader.EnsureLoaded();
        var (absmax, extra) = BlockAbsmax(w, inPlaceOffset);
        try
        {
            return Dequantize(w, dtype, absmax);
        }
        finally
        {
            if (w.Nested) absmax.Dispose();
            extra?.Dispose();
        }
    }

    /// <summary>Decodes the weight with a block absmax the caller holds (<see cref="BlockAbsmax"/>).</summary>
    public static Tensor Dequantize(FourBitWeight w, ScalarType dtype, Tensor absmax)
    {
        TorchNativeLoader.EnsureLoaded();
        long n = w.Rows * w.Cols;
        var output = empty([w.Rows, w.Cols], dtype);
        using var flatOutput = output.view(-1);
        long chunk = KernelBudget.DequantChunkElements;
        for (long start = 0; start < n; start += chunk)
        {
            using var scope = NewDisposeScope();
            long c = Math.Min(chunk, n - start);
            var bytes = w.Packed.narrow(0, start / 2, (c + 1) / 2);                  // a view
            Tensor index;                                                             // (c) int32 codes, in element order
            using (var hi = bytes.div(16, RoundingMode.floor))                       // high nibble: the even element
            using (var lo = bytes.remainder(16))
            using (var both = stack([hi, lo], 1).view(-1))
                index = both.narrow(0, 0, c).to(ScalarType.Int32);
            var values = w.Code.index_select(0, index);                               // (c) float32
            index.Dispose();
            long blocks = c / BlockSize, rest = c % BlockSize, first = start / BlockSize;
            if (blocks > 0)
                values.narrow(0, 0, blocks * BlockSize).view(blocks, BlockSize).mul_(absmax.narrow(0, first, blocks).unsqueeze(1));
            if (rest > 0) values.narrow(0, blocks * BlockSize, rest).mul_(absmax.narrow(0, first + blocks, 1));
            flatOutput.narrow(0, start, c).copy_(values);
        }
        return output;
    }
}
