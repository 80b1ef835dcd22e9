using GaLore.Planner.Models;
using GaLore.Profiler.Model;
using GaLore.Profiler.Tests.Support;

namespace GaLore.Profiler.Tests.Model;

/// <summary>The model's parameters are the planner's table: same names, order, shapes, count and flags.</summary>
[Collection("torch")]
public sealed class ParameterNamingTests
{
    public static TheoryData<string> Configs => new() { "tiny", "gqa-bias", "all-bias", "tied" };

    static ModelConfig ConfigNamed(string name) => name switch
    {
        "tiny" => TestModels.Tiny,
        "gqa-bias" => TestModels.GqaWithBiases,
        "all-bias" => TestModels.AllBiases,
        _ => TestModels.Tied,
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void ParametersMatchThePlannersTable(string name)
    {
        var config = ConfigNamed(name);
        using var model = LlamaModel.Create(config);
        var table = ParameterTable.Build(config);
        var named = model.named_parameters().ToList();

        Assert.Equal(table.Select(t => t.Name), named.Select(n => n.name));
        Assert.Equal(table.Select(t => t.Name), model.NamedParameters.Select(p => p.Name));
        for (int k = 0; k < table.Count; k++)
        {
            var shape = named[k].parameter.shape;
            long[] expected = table[k].IsMatrix ? [table[k].Rows, table[k].Cols] : [table[k].Rows];
            Assert.Equal(expected, shape);
            Assert.Equal(table[k].Module, model.NamedParameters[k].Module);
            Assert.Equal(table[k].IsLinearWeight, model.NamedParameters[k].IsLinearWeight);
        }
        Assert.Equal(table.Sum(t => t.Elements), model.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void TiedModelHasNoLmHeadAndBiasedModelsHaveTheirBiases()
    {
        using (var tied = LlamaModel.Create(TestModels.Tied))
            Assert.DoesNotContain(tied.NamedParameters, p => p.Name.StartsWith("lm_head", StringComparison.Ordinal));
        using (var qwen = LlamaModel.Create(TestModels.GqaWithBiases))
        {
            Assert.Contains(qwen.NamedParameters, p => p.Name == "model.layers.1.self_attn.k_proj.bias");
            Assert.DoesNotContain(qwen.NamedParameters, p => p.Name.EndsWith("o_proj.bias", StringComparison.Ordinal));
        }
        using var llama = LlamaModel.Create(TestModels.AllBiases);
        Assert.Contains(llama.NamedParameters, p => p.Name == "model.layers.0.mlp.down_proj.bias");
        Assert.Contains(llama.NamedParameters, p => p.Name == "model.layers.0.self_attn.o_proj.bias");
    }

    [Fact]
    public void InitialisationIsSeededWithUnitNormsAndZeroBiases()
    {
        using var a = LlamaModel.Create(TestModels.GqaWithBiases, new ModelOptions { Seed = 3 });
        using var b = LlamaModel.Create(TestModels.GqaWithBiases, new ModelOptions { Seed = 3 });
        using var c = LlamaModel.Create(TestModels.GqaWithBiases, new ModelOptions { Seed = 4 });
        for (int k = 0; k < a.NamedParameters.Count; k++)
            Assert.True(TensorAssert.Same(a.NamedParameters[k].Tensor, b.NamedParameters[k].Tensor));
        Assert.False(TensorAssert.Same(a.NamedParameters[0].Tensor, c.NamedParameters[0].Tensor));
        foreach (var p in a.NamedParameters)
        {
            if (p.Table.Kind == TensorKind.Norm) Assert.Equal(1f, p.Tensor.min().item<float>());
            if (p.Table.Kind == TensorKind.Bias) Assert.Equal(0f, p.Tensor.abs().max().item<float>());
            if (p.Table.IsMatrix)
                Assert.InRange(p.Tensor.std().item<float>(), 0.015f, 0.025f);
        }
    }
}
