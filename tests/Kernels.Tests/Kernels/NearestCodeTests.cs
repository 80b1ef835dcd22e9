using GaLore.Kernels.Quantization;
using static TorchSharp.torch;

namespace GaLore.Kernels.Tests.Kernels;

[Collection("torch")]
public sealed class NearestCodeTests : TorchTestBase
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Encode_equals_bucketize_including_edge_values(bool signed)
    {
        var map = signed ? DynamicQuantizationMap.Signed : DynamicQuantizationMap.Unsigned;
        using var scope = NewDisposeScope();
        var x = Randn(77, ScalarType.Float32, 200_000);
        if (!signed) x = x.square();
        x.div_(x.abs().max());
        // Exact midpoints, the code values themselves, and their float neighbours.
        var mids = map.Midpoints;
        var edges = cat([mids, mids.nextafter(full(255, 2f)), mids.nextafter(full(255, -2f)), map.Table,
            tensor(new[] { 0f, -0f, 1f, 1e-38f, 1e-45f, 1e-12f, 3e-7f, signed ? -1f : 0.5f, signed ? -1e-38f : 0.25f })]);
        if (!signed) edges = edges.clamp_min(0);
        x = cat([x, edges]);
        var expected = bucketize(x, mids, outInt32: true);
        var actual = map.Encode(x.clone());
        Assert.Equal(ScalarType.Int32, actual.dtype);
        Assert.Equal(0L, expected.ne(actual).sum().item<long>());
        Assert.True(map.UsesTableEncoder, "the table encoder should be valid for the dynamic codes");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Encode_into_writes_the_same_codes_slice_by_slice(bool signed)
    {
        var map = signed ? DynamicQuantizationMap.Signed : DynamicQuantizationMap.Unsigned;
        using var scope = NewDisposeScope();
        long n = 2 * GaLore.Planner.Runtime.KernelBudget.QuantEncodeElements + 4097;   // two full slices and a ragged one
        var x = Randn(78, ScalarType.Float32, n);
        if (!signed) x = x.square();
        x.div_(x.abs().max());
        var expected = bucketize(x, map.Midpoints, outInt32: true).to(ScalarType.Byte);
        var codes = empty(n, ScalarType.Byte);
        map.EncodeInto(x.clone(), codes);
        Assert.Equal(0L, expected.ne(codes).sum().item<long>());
    }
}
