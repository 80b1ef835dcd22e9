using GaLore.Planner.Runtime;
using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using static TorchSharp.torch;

namespace GaLore.Kernels.Tests.Kernels;

/// <summary>A stacked 3-D expert parameter (transformers 5.x's <c>experts.gate_up_proj</c>, (E, 2i, h)) gets the states the
/// planner's <see cref="StateLayout"/> lists — Adafactor's row and column statistics over the last two dims, one pair per
/// expert — and an update of its own shape from every optimizer class that can hold it (GaLore never projects it).</summary>
[Collection("torch")]
public sealed class StackedExpertStateTests : TorchTestBase
{
    [Theory]
    [InlineData("AdamW", "fp32", null)]
    [InlineData("AdamW", "bf16", null)]
    [InlineData("AdamW8bit", "bf16", null)]
    [InlineData("Adafactor", "fp32", null)]
    [InlineData("Adafactor", "bf16", 0.9)]
    [InlineData("GaLoreAdafactor", "bf16", null)]
    public void A_3d_expert_tensor_keeps_the_planners_states(string cls, string precisionName, double? beta1)
    {
        using var scope = NewDisposeScope();
        var precision = Precision.Parse(precisionName);
        var dtype = precision.WeightBytes == 2 ? ScalarType.BFloat16 : ScalarType.Float32;
        var p = Param(1, dtype, 4, 96, 32);
        using var before = p.detach().clone();
        using var optimizer = OptimizerFactory.Create(cls, [p], null, beta1: beta1);  // a GaLore class keeps it in its regular group
        for (int step = 0; step < 2; step++)
        {
            SetGrad(p, Randn(10 + step, dtype, p.shape));
            optimizer.step();
        }
        using (var same = p.detach().eq(before).all()) Assert.False(same.item<bool>());

        var tensor = new ParameterTensor("model.layers.0.mlp.experts.gate_up_proj", "model.layers.0.mlp.experts", TensorKind.StackedExperts, 0, 96, 32)
        {
            Count = 4,
        };
        var spec = OptimizerFactory.Spec(cls);
        var setup = new OptimizerSetup(spec, GaLoreSettings.Default, TargetModules.Default, OptimArgs.Parse(beta1 is { } b1 ? $"beta1={b1}" : null, spec).Args);
        var expected = StateLayout.Describe(tensor, false, setup, precision, RuntimeProfile.TorchSharpKernels);
        var held = optimizer.StateOf(p).Tensors;
        Assert.Equal(expected.Select(e => e.Name), held.Select(h => h.Name));
        Assert.Equal(expected.Select(e => e.Elements), held.Select(h => h.Tensor.numel()));
        Assert.Equal(StateLayout.Bytes(tensor, false, setup, precision, RuntimeProfile.TorchSharpKernels), optimizer.StateOf(p).Bytes);
        if (OptimizerFactory.IsAdafactor(cls))
            Assert.Equal([4L, 96], held.Single(h => h.Name == "exp_avg_sq_row").Tensor.shape);
    }
}
