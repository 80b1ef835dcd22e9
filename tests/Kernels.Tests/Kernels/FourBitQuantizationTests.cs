using GaLore.Kernels.Quantization;
using GaLore.Planner.Adapters;
using static TorchSharp.torch;

namespace GaLore.Kernels.Tests.Kernels;

[Collection("torch")]
public sealed class FourBitQuantizationTests : TorchTestBase
{
    [Fact]
    public void Nf4_table_is_bitsandbytes_sorted_normal_quantiles_with_an_exact_zero()
    {
        var v = FourBitCode.Of(BaseQuant.Nf4).Values;
        Assert.Equal(16, v.Count);
        Assert.Equal(-1f, v[0]);
        Assert.Equal(0f, v[7]);
        Assert.Equal(1f, v[15]);
        Assert.Equal(0.07958029955625534f, v[8]);
        Assert.Equal(-0.6961928009986877f, v[1]);
        Assert.True(v.Zip(v.Skip(1)).All(p => p.First < p.Second));
        Assert.Equal(7, v.Count(x => x < 0));   // asymmetric: 7 negative, 8 positive levels (use_extra_value)
    }

    [Fact]
    public void Fp4_table_is_indexed_by_bit_pattern_and_normalised_by_12()
    {
        var v = FourBitCode.Of(BaseQuant.Fp4).Values;
        // 0b0_00 = 0, 0b0_01 = 0.0625 (subnormal), 0b0_10 = 8, 0b0_11 = 12, 0b1_00 = 4, … ; the sign bit is 0b1000.
        float[] raw = [0, 0.0625f, 8, 12, 4, 6, 2, 3];
        for (int k = 0; k < 8; k++)
        {
            Assert.Equal(raw[k] / 12f, v[k]);
            Assert.Equal(-raw[k] / 12f, v[k + 8]);
        }
        Assert.Equal(1f, v[3]);
    }

    [Theory]
    [InlineData(BaseQuant.Nf4)]
    [InlineData(BaseQuant.Fp4)]
    public void Table_values_times_absmax_round_trip_exactly_and_pack_two_codes_per_byte_high_nibble_first(BaseQuant type)
    {
        using var scope = NewDisposeScope();
        var code = FourBitCode.Of(type);
        // One row of 64: codes 0, 1, …, 15 four times, scaled by 2.5 (the block's absmax: a ±1 entry is present).
        var values = Enumerable.Range(0, 64).Select(k => code.Values[k % 16] * 2.5f).ToArray();
        var w = tensor(values).view(1, 64);
        using var q = FourBitQuantizer.Quantize(w, type, doubleQuant: false);
        Assert.Equal(32, q.Packed.shape[0]);
        var bytes = q.Packed.data<byte>().ToArray();
        for (int k = 0; k < 32; k++)
        {
            int first = (2 * k) % 16, second = (2 * k + 1) % 16;
            byte expected = (byte)((first << 4) | second);
            // FP4's +0 and −0 (codes 0 and 8) are the same value: either code is a correct nearest code.
            if (type == BaseQuant.Fp4 && (first is 0 or 8 || second is 0 or 8)) continue;
            Assert.Equal(expected, bytes[k]);
        }
        Assert.Equal(2.5f, q.Absmax!.item<float>());
        Assert.Equal(0.0, MaxDiff(FourBitQuantizer.Dequantize(q, ScalarType.Float32), w));
    }

    [Fact]
    public void A_value_goes_to_the_nearest_table_entry()
    {
        using var scope = NewDisposeScope();
        var v = FourBitCode.Of(BaseQuant.Nf4).Values;
        // Just below and above the midpoint of entries 8 and 9, in a block whose absmax is 1.
        float mid = (v[8] + v[9]) / 2;
        var w = tensor(new[] { 1f, mid - 1e-4f, mid + 1e-4f, 0f }).view(1, 4);
        using var q = FourBitQuantizer.Quantize(w, BaseQuant.Nf4, false);
        var back = FourBitQuantizer.Dequantize(q, ScalarType.Float32).data<float>().ToArray();
        Assert.Equal(new[] { 1f, v[8], v[9], 0f }, back);
    }

    [Theory]
    [InlineData(BaseQuant.Nf4, false, 1, 4097)]     // not a multiple of the block, odd: padded with one code
    [InlineData(BaseQuant.Nf4, true, 64, 300)]
    [InlineData(BaseQuant.Fp4, false, 33, 65)]
    [InlineData(BaseQuant.Fp4, true, 512, 300)]    // 153,600 elements: more than one dequantization chunk, 2,400 absmax blocks
    public void Round_trip_error_is_bounded_by_half_the_widest_gap_times_the_block_absmax(BaseQuant type, bool doubleQuant, int rows, int cols)
    {
        using var scope = NewDisposeScope();
        var w = Randn(rows * 7 + cols, ScalarType.Float32, rows, cols).mul_(0.02);
        using var q = FourBitQuantizer.Quantize(w, type, doubleQuant);
        var back = FourBitQuantizer.Dequantize(q, ScalarType.Float32);
        var sorted = FourBitCode.Of(type).Values.OrderBy(x => x).ToArray();
        double halfGap = sorted.Zip(sorted.Skip(1)).Max(p => p.Second - p.First) / 2;
        var (absmax, _) = FourBitQuantizer.BlockAbsmax(q, inPlaceOffset: true);
        long n = (long)rows * cols, blocks = QuantizedStorage.Blocks(n);
        var perElement = absmax.repeat_interleave(64).narrow(0, 0, n);
        var error = (back.reshape(-1) - w.reshape(-1)).abs();
        // Double quantization errs on the absmax too (its 8-bit dynamic code): allow 2 % of the absmax for it.
        double bound = halfGap + (doubleQuant ? 0.02 : 1e-6);
        Assert.True(error.le(perElement.mul(bound).add(1e-7)).all().item<bool>());
        Assert.Equal(blocks, absmax.shape[0]);
        Assert.Equal(ScalarType.Float32, back.dtype);
        Assert.Equal(ScalarType.BFloat16, FourBitQuantizer.Dequantize(q, ScalarType.BFloat16).dtype);
    }

    [Theory]
    [InlineData(false, 64, 64)]
    [InlineData(true, 64, 64)]
    [InlineData(true, 4096, 513)]
    [InlineData(false, 11, 13)]
    public void Stored_tensors_are_the_planners_bitsandbytes_layout(bool doubleQuant, int rows, int cols)
    {
        using var scope = NewDisposeScope();
        using var q = FourBitQuantizer.Quantize(Randn(3, ScalarType.BFloat16, rows, cols), BaseQuant.Nf4, doubleQuant);
        Assert.Equal(QuantizedStorage.Bytes(BaseQuant.Nf4, doubleQuant, rows, cols), q.Bytes);
        Assert.Equal(ScalarType.BFloat16, q.StoredType);
        Assert.Equal(doubleQuant, q.Nested);
    }
}
