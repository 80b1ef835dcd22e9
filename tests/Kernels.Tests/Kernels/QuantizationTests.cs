using GaLore.Kernels.Quantization;
using static TorchSharp.torch;

namespace GaLore.Kernels.Tests.Kernels;

[Collection("torch")]
public sealed class QuantizationTests : TorchTestBase
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Dynamic_map_has_256_sorted_entries_including_zero_and_one(bool signed)
    {
        var values = DynamicQuantizationMap.Build(signed);
        Assert.Equal(256, values.Length);
        Assert.True(values.Zip(values.Skip(1)).All(p => p.First < p.Second), "entries must be strictly increasing");
        Assert.Contains(0f, values);
        Assert.Equal(1f, values[^1]);
        if (signed)
        {
            Assert.True(values[0] < -0.99f && values[0] > -1f);
            Assert.Equal(127, values.Count(v => v < 0));
        }
        else Assert.True(values[0] >= 0f);
        // Smallest non-zero magnitude is in the lowest decade: 10^-6 · (0.1 + 0.9·0.5/slices).
        float smallest = values.Where(v => v > 0).Min();
        Assert.InRange(smallest, 1e-7f, 1e-6f);
    }

    [Theory]
    [InlineData(4096, true)]
    [InlineData(4096, false)]
    [InlineData(4097, true)]
    [InlineData(4097, false)]
    [InlineData(1_000_000, true)]
    [InlineData(1_000_000, false)]
    public void Round_trip_error_is_bounded_per_block(int n, bool signed)
    {
        var map = signed ? DynamicQuantizationMap.Signed : DynamicQuantizationMap.Unsigned;
        using var scope = NewDisposeScope();
        long blocks = BlockwiseQuantizer.Blocks(n);
        // Values whose scale varies from block to block by orders of magnitude, as Adam moments do.
        var x = Randn(n, ScalarType.Float32, n);
        if (!signed) x = x.square();
        var blockScale = Randn(n + 1, ScalarType.Float32, blocks).mul_(3).exp_();
        x.mul_(blockScale.repeat_interleave(256).narrow(0, 0, n));

        var codes = empty(n, ScalarType.Byte);
        var absmax = empty(blocks);
        BlockwiseQuantizer.Quantize(x.clone(), map, codes, absmax);
        var back = BlockwiseQuantizer.Dequantize(codes, absmax, map);

        var padded = zeros(blocks * 256);
        padded.narrow(0, 0, n).copy_(x);
        var trueMax = padded.view(blocks, 256).abs().amax([1]);
        Assert.True(absmax.allclose(trueMax), "absmax must be each block's largest magnitude");

        var errPadded = zeros(blocks * 256);
        errPadded.narrow(0, 0, n).copy_((back - x).abs());
        var err = errPadded.view(blocks, 256).amax([1]);
        double bound = map.MaxRoundingError() + 1e-6;
        var ratio = (err / trueMax.clamp_min(1e-30f)).max().item<float>();
        Assert.True(ratio <= bound, $"worst block error {ratio:G4}·absmax exceeds the code's {bound:G4}");
        // The code's worst case is about 0.7 % (signed) / 0.35 % (unsigned) of absmax.
        Assert.True(bound < (signed ? 0.008 : 0.004));
        // Exact zeros and each block's extreme survive.
        Assert.Equal(0f, BlockwiseQuantizer.Dequantize(zeros(512, ScalarType.Byte).add_(ZeroCode(map)), zeros(2), map).abs().max().item<float>());
    }

    static byte ZeroCode(DynamicQuantizationMap map) => (byte)Array.IndexOf(map.Values.ToArray(), 0f);

    [Fact]
    public void All_zero_blocks_stay_zero()
    {
        using var scope = NewDisposeScope();
        var x = zeros(4096);
        var codes = empty(4096, ScalarType.Byte);
        var absmax = empty(16);
        BlockwiseQuantizer.Quantize(x.clone(), DynamicQuantizationMap.Signed, codes, absmax);
        var back = BlockwiseQuantizer.Dequantize(codes, absmax, DynamicQuantizationMap.Signed);
        Assert.Equal(0f, back.abs().max().item<float>());
        Assert.False(back.isnan().any().item<bool>());
    }

    [Fact]
    public void Rejects_mismatched_buffers()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => BlockwiseQuantizer.Quantize(zeros(300), DynamicQuantizationMap.Signed, empty(300, ScalarType.Byte), empty(1)));
        Assert.Throws<ArgumentException>(() => BlockwiseQuantizer.Quantize(zeros(300, ScalarType.Float64), DynamicQuantizationMap.Signed, empty(300, ScalarType.Byte), empty(2)));
    }
}
