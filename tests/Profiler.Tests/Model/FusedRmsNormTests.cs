using GaLore.Profiler.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Profiler.Tests.Model;

/// <summary>The fused norm equals the textbook RMSNorm in value and gradient, across row blocks.</summary>
[Collection("torch")]
public sealed class FusedRmsNormTests
{
    static Tensor Reference(Tensor x, Tensor w, double eps) =>
        w * (x * (x.square().mean([-1], keepdim: true) + eps).rsqrt());

    [Theory]
    [InlineData(2, 5, 16)]        // one row block
    [InlineData(2, 4500, 32)]     // 9000 rows: two row blocks of 8192
    public void Matches_reference_forward_and_backward(int batch, int seq, int hidden)
    {
        Assert.True(FusedRmsNormFunction.ChunkRows(32) == 8192);
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(11);
        var x = torch.randn([batch, seq, hidden], generator: g).requires_grad_(true);
        var w = (torch.rand([hidden], generator: g) + 0.5).requires_grad_(true);
        var upstream = torch.randn([batch, seq, hidden], generator: g);

        var y = FusedRmsNormFunction.Apply(x, w, 1e-6, ScalarType.Float32);
        torch.autograd.backward([y], [upstream]);
        GradientHandoff.Flush();
        var (dx, dw) = (x.grad!.clone(), w.grad!.clone());

        var x2 = x.detach().clone().requires_grad_(true);
        var w2 = w.detach().clone().requires_grad_(true);
        var y2 = Reference(x2, w2, 1e-6);
        torch.autograd.backward([y2], [upstream]);

        Assert.True(y.allclose(y2, rtol: 1e-5, atol: 1e-6));
        Assert.True(dx.allclose(x2.grad!, rtol: 1e-4, atol: 1e-5));
        Assert.True(dw.allclose(w2.grad!, rtol: 1e-4, atol: 1e-4));
    }

    [Fact]
    public void Bf16_input_gives_bf16_output_and_gradient()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(5);
        var x = torch.randn([3, 7, 24], generator: g).to(ScalarType.BFloat16).requires_grad_(true);
        var w = torch.ones(24, ScalarType.BFloat16).requires_grad_(true);
        var y = FusedRmsNormFunction.Apply(x, w, 1e-6, ScalarType.BFloat16);
        Assert.Equal(ScalarType.BFloat16, y.dtype);
        y.sum().backward();
        GradientHandoff.Flush();
        Assert.Equal(ScalarType.BFloat16, x.grad!.dtype);
        Assert.Equal(ScalarType.BFloat16, w.grad!.dtype);
        var reference = Reference(x.detach().to(ScalarType.Float32), w.detach().to(ScalarType.Float32), 1e-6);
        Assert.True(y.to(ScalarType.Float32).allclose(reference, rtol: 2e-2, atol: 2e-2));
    }

    [Fact]
    public void Mixed_precision_writes_bf16_from_float32_input()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.randn(2, 3, 8).requires_grad_(true);
        var w = torch.ones(8).requires_grad_(true);
        var y = FusedRmsNormFunction.Apply(x, w, 1e-6, ScalarType.BFloat16);
        Assert.Equal(ScalarType.BFloat16, y.dtype);
        y.to(ScalarType.Float32).sum().backward();
        GradientHandoff.Flush();
        Assert.Equal(ScalarType.Float32, x.grad!.dtype);
        Assert.Equal(ScalarType.Float32, w.grad!.dtype);
    }
}
