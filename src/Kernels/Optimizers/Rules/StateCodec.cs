using GaLore.Kernels.Quantization;
using static TorchSharp.torch;

namespace GaLore.Kernels.Optimizers.Rules;

/// <summary>
/// How a flat optimizer state is stored: read a chunk as float32, write it back. The 8-bit rule walks its
/// states chunk by chunk through one of these.
/// </summary>
internal abstract class StateCodec
{
    /// <summary>The chunk [offset, offset + length) as float32 (a view for float32 storage, else a new tensor).</summary>
    public abstract Tensor Load(long offset, long length);

    /// <summary>Writes a chunk back; <paramref name="values"/> may be destroyed.</summary>
    public abstract void Store(Tensor values, long offset);
}

/// <summary>Plain float32 storage (bitsandbytes keeps 32-bit states for tensors under <c>min_8bit_size</c>):
/// chunks are views updated in place, so <see cref="Store"/> has nothing to do.</summary>
internal sealed class Float32Codec(Tensor storage) : StateCodec
{
    public override Tensor Load(long offset, long length) => storage.narrow(0, offset, length);

    public override void Store(Tensor values, long offset) { }
}

/// <summary>Block-wise 8-bit storage: uint8 codes plus one float32 absmax per 256-element block.</summary>
internal sealed class BlockwiseCodec(Tensor codes, Tensor absmax, DynamicQuantizationMap map) : StateCodec
{
    public override Tensor Load(long offset, long length)
    {
        using var c = codes.narrow(0, offset, length);
        using var a = Blocks(offset, length);
        return BlockwiseQuantizer.Dequantize(c, a, map);
    }

    public override void Store(Tensor values, long offset)
    {
        long length = values.shape[0];
        using var c = codes.narrow(0, offset, length);
        using var a = Blocks(offset, length);
        BlockwiseQuantizer.Quantize(values, map, c, a);
    }

    Tensor Blocks(long offset, long length)
    {
        if (offset % BlockwiseQuantizer.BlockSize != 0) throw new ArgumentException("chunks must start on a block boundary", nameof(offset));
        return absmax.narrow(0, offset / BlockwiseQuantizer.BlockSize, BlockwiseQuantizer.Blocks(length));
    }
}
