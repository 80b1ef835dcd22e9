using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using static TorchSharp.torch;

namespace GaLore.Kernels.Tests.Kernels;

/// <summary>The state tensors each optimizer keeps are exactly the planner's <see cref="StateLayout"/>.</summary>
[Collection("torch")]
public sealed class StateLayoutTests : TorchTestBase
{
    public static TheoryData<string, long, long, string, double?> Cases()
    {
        var data = new TheoryData<string, long, long, string, double?>();
        foreach (var cls in OptimizerFactory.Classes)
            foreach (var (m, n) in new[] { (96L, 32L), (32L, 96L), (64L, 64L), (256L, 128L), (64L, 0L) })
                foreach (var precision in new[] { "fp32", "bf16" })
                {
                    data.Add(cls, m, n, precision, null);
                    if (OptimizerFactory.IsAdafactor(cls) && precision == "fp32") data.Add(cls, m, n, precision, 0.9);
                }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Held_state_matches_state_layout(string cls, long rows, long cols, string precisionName, double? beta1)
    {
        using var scope = NewDisposeScope();
        var precision = Precision.Parse(precisionName);
        var dtype = precision.WeightBytes == 2 ? ScalarType.BFloat16 : ScalarType.Float32;
        bool vector = cols == 0;
        var p = vector ? Param(1, dtype, rows) : Param(1, dtype, rows, cols);
        bool galore = OptimizerFactory.IsGaLore(cls) && !vector;
        var settings = new GaLoreSettings(16, 200, 0.25, ProjectionType.Std);
        using var optimizer = OptimizerFactory.Create(cls, [p], galore ? settings : null, beta1: beta1);
        for (int step = 0; step < 2; step++)
        {
            SetGrad(p, Randn(10 + step, dtype, p.shape));
            optimizer.step();
        }

        var name = vector ? "model.norm.weight" : "model.layers.0.mlp.up_proj.weight";
        var tensor = new ParameterTensor(name, "model.layers.0.mlp.up_proj", vector ? TensorKind.Norm : TensorKind.MlpProjection, 0, rows, vector ? 1 : cols);
        var spec = OptimizerFactory.Spec(cls);
        var args = OptimArgs.Parse(beta1 is { } b1 ? $"beta1={b1}" : null, spec).Args;
        var setup = new OptimizerSetup(spec, settings, TargetModules.Default, args);
        var expected = StateLayout.Describe(tensor, galore, setup, precision, Planner.Runtime.RuntimeProfile.TorchSharpKernels);
        var held = optimizer.StateOf(p).Tensors;

        Assert.Equal(expected.Select(e => e.Name), held.Select(h => h.Name));
        Assert.Equal(expected.Select(e => e.Elements), held.Select(h => h.Tensor.numel()));
        Assert.Equal(expected.Select(e => e.Type.Name()), held.Select(h => DTypeName(h.Tensor.dtype)));
        Assert.Equal(StateLayout.Bytes(tensor, galore, setup, precision, Planner.Runtime.RuntimeProfile.TorchSharpKernels), optimizer.StateOf(p).Bytes);
    }

    static string DTypeName(ScalarType t) => t switch
    {
        ScalarType.Byte => "uint8",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float32 => "float32",
        _ => t.ToString(),
    };
}
