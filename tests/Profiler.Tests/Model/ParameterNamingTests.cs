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

    /// <summary>The model is built from the planner's layout, so its parameter list is the table by construction; what can go
    /// wrong is a twin that binds a role to the wrong tensor or leaves one unused. After one forward and backward, every
    /// parameter must hold a gradient of its own shape, and the model's parameter count must be the table's.</summary>
    [Theory]
    [MemberData(nameof(Configs))]
    public void Every_parameter_of_the_table_is_used_and_gets_a_gradient_of_its_shape(string name)
    {
        var config = ConfigNamed(name);
        using var model = CausalLm.Create(config);
        using var ids = TestModels.Ids(config, 2, 8);
        TestModels.AssertEveryParameterGetsAGradientOfItsShape(model, ids);
    }

    [Fact]
    public void Tied_model_has_no_lm_head_and_biased_models_have_their_biases()
    {
        using (var tied = CausalLm.Create(TestModels.Tied))
            Assert.DoesNotContain(tied.NamedParameters, p => p.Name.StartsWith("lm_head", StringComparison.Ordinal));
        using (var qwen = CausalLm.Create(TestModels.GqaWithBiases))
        {
            Assert.Contains(qwen.NamedParameters, p => p.Name == "model.layers.1.self_attn.k_proj.bias");
            Assert.DoesNotContain(qwen.NamedParameters, p => p.Name.EndsWith("o_proj.bias", StringComparison.Ordinal));
        }
        using var llama = CausalLm.Create(TestModels.AllBiases);
        Assert.Contains(llama.NamedParameters, p => p.Name == "model.layers.0.mlp.down_proj.bias");
        Assert.Contains(llama.NamedParameters, p => p.Name == "model.layers.0.self_attn.o_proj.bias");
    }

    [Fact]
    public void Initialisation_is_seeded_with_unit_norms_and_zero_biases()
    {
        using var a = CausalLm.Create(TestModels.GqaWithBiases, new ModelOptions { Seed = 3 });
        using var b = CausalLm.Create(TestModels.GqaWithBiases, new ModelOptions { Seed = 3 });
        using var c = CausalLm.Create(TestModels.GqaWithBiases, new ModelOptions { Seed = 4 });
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
