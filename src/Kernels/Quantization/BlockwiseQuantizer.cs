using GaLore.Kernels.Native;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Runtime;
using static TorchSharp.torch;

namespace GaLore.Kernels.Quantization;

/// <summary>
/// Block-wise 8-bit quantization of a flat float32 range (Dettmers et al. 2022, arXiv 2110.02861;
/// bitsandbytes <c>quantize_blockwise</c>): every block of <see cref="BlockSize"/> consecutive elements keeps
/// its own float32 absmax; an element is stored as the index of the code value nearest to x / absmax, and
/// read back as <c>code[index] · absmax</c>. The last block may be shorter. Ranges handed in must start on a
/// block boundary (the 8-bit optimizer walks its states in chunks that are multiples of the block).
/// </summary>
public static class BlockwiseQuantizer
{
    /// <summary>Elements per absmax block (bitsandbytes ≥ 0.44).</summary>
    public const int BlockSize = GaLore.Planner.Optimizers.Families.AdamW8bitModel.BlockSize;

    /// <summary>Number of blocks covering n elements.</summary>
    public static long Blocks(long n) => (n + BlockSize - 1) / BlockSize;

    /// <summary>
    /// Quantizes <paramref name="values"/> (1-D float32, overwritten: it is normalised in place) into
    /// <paramref name="codes"/> (1-D uint8 of the same length) and <paramref name="absmax"/> (1-D float32 of
    /// <see cref="Blocks"/> entries). Temporaries: four float32 vectors of one entry per block while the absmax is found
    /// (freed before the search), then <see cref="DynamicQuantizationMap.EncodeInto"/>'s 12 B per element of a slice of
    /// at most <see cref="KernelBudget.QuantEncodeElements"/> elements.
    /// </summary>
    public static void Quantize(Tensor values, DynamicQuantizationMap map, Tensor codes, Tensor absmax)
    {
        TorchNativeLoader.EnsureLoaded();
        Check(values, codes, absmax);
        using var scope = NewDisposeScope();
        foreach (var (block, max) in Split(values, absmax))
        {
            using var hi = block.amax([1]);
            using var lo = block.amin([1]);
            if (map.IsSigned)
            {
                using var largest = maximum(hi, lo.neg_());
                max.copy_(largest);
            }
            else max.copy_(hi.clamp_min_(0)); // second moments are non-negative; a stray −0 maps to 0
            using var safe = max.clamp_min(float.Epsilon);  // an all-zero block divides by the tiniest float, not 0
            using var column = safe.unsqueeze(1);
            block.div_(column);
        }
        map.EncodeInto(values, codes);
    }

    /// <summary>Dequantizes <paramref name="codes"/> with their block <paramref name="absmax"/> into a new float32 tensor.</summary>
    public static Tensor Dequantize(Tensor codes, Tensor absmax, DynamicQuantizationMap map)
    {
        TorchNativeLoader.EnsureLoaded();
        using var scope = NewDisposeScope();
        Tensor values;
        using (var index = codes.to(ScalarType.Int32)) values = map.Table.index_select(0, index);
        Check(values, codes, absmax);
        foreach (var (block, max) in Split(values, absmax)) block.mul_(max.unsqueeze(1));
        return values.MoveToOuterDisposeScope();
    }

    /// <summary>Views of the full blocks as (blocks × 256) and the short last block as (1 × rest), with their absmax slices.</summary>
    static IEnumerable<(Tensor Block, Tensor Max)> Split(Tensor values, Tensor absmax)
    {
        long n = values.shape[0], full = n / BlockSize, rest = n % BlockSize;
        if (full > 0)
            yield return (values.narrow(0, 0, full * BlockSize).view(full, BlockSize), absmax.narrow(0, 0, full));
        if (rest > 0)
            yield return (values.narrow(0, full * BlockSize, rest).view(1, rest), absmax.narrow(0, full, 1));
    }

    static void Check(Tensor values, Tensor codes, Tensor absmax)
    {
        if (values.dim() != 1 || codes.dim() != 1 || absmax.dim() != 1)
            throw new ArgumentException("block-wise quantization works on 1-D tensors");
        if (values.dtype != ScalarType.Float32 || codes.dtype != ScalarType.Byte || absmax.dtype != ScalarType.Float32)
            throw new ArgumentException($"expected float32 values, uint8 codes, float32 absmax; got {values.dtype}, {codes.dtype}, {absmax.dtype}");
        if (codes.shape[0] != values.shape[0] || absmax.shape[0] != Blocks(values.shape[0]))
            throw new ArgumentException($"{values.shape[0]} values need {values.shape[0]} codes and {Blocks(values.shape[0])} absmax entries, " +
                                        $"got {codes.shape[0]} and {absmax.shape[0]}");
    }
}
