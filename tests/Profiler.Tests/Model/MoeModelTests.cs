using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Profiler.Model;
using GaLore.Profiler.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Profiler.Tests.Model;

/// <summary>The mixture-of-experts families' TorchSharp models: built from the planner's layout in both transformers
/// layouts, every parameter used and given a gradient of its shape, checkpointing changing no gradient, and the two
/// layouts computing the same function from the same weights.</summary>
[Collection("torch")]
public sealed class MoeModelTests
{
    // V = 96, h = 32, 4 experts, top-2 (Qwen2-MoE: layer 1 dense; Qwen3-MoE: per-head q/k norms, head_dim 16 ≠ h / heads).
    static readonly Dictionary<string, string> Configs = new()
    {
        ["mixtral"] = """{ "model_type": "mixtral", "vocab_size": 96, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "num_local_experts": 4, "num_experts_per_tok": 2 }""",
        ["qwen2_moe"] = """{ "model_type": "qwen2_moe", "vocab_size": 96, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 4, "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 24, "shared_expert_intermediate_size": 40, "mlp_only_layers": [1] }""",
        ["qwen3_moe"] = """{ "model_type": "qwen3_moe", "vocab_size": 96, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 24, "norm_topk_prob": true }""",
        ["olmoe"] = """{ "model_type": "olmoe", "vocab_size": 96, "hidden_size": 32, "intermediate_size": 24, "num_hidden_layers": 2, "num_attention_heads": 4, "num_experts": 4, "num_experts_per_tok": 2 }""",
    };

    public static TheoryData<string, bool> FamiliesAndLayouts()
    {
        var data = new TheoryData<string, bool>();
        foreach (var f in Configs.Keys)
        {
            data.Add(f, false);
            data.Add(f, true);
        }
        return data;
    }

    static ModelConfig Config(string family, bool transformers4)
    {
        var m = HfConfigLoader.Parse(Configs[family], family);
        return transformers4 ? m with { Moe = m.Moe! with { Layout = MoeLayout.PerExpert } } : m;
    }

    /// <summary>The parameter list is the planner's table by construction; what can go wrong is a role bound to the wrong
    /// tensor or left unused. 64 (token, slot) pairs over 4 experts reach every expert here, so under 4.x every expert's
    /// Linears get a gradient too (an expert no token reaches would keep none, as transformers 4.x skips it); under 5.x the
    /// stacked tensors get one whole in any case (zero rows for an expert no token reaches).</summary>
    [Theory]
    [MemberData(nameof(FamiliesAndLayouts))]
    public void Every_parameter_gets_a_gradient_of_its_shape(string family, bool transformers4)
    {
        var config = Config(family, transformers4);
        using var model = CausalLm.Create(config);
        using var ids = TestModels.Ids(config, 2, 16);
        TestModels.AssertEveryParameterGetsAGradientOfItsShape(model, ids);
    }

    [Theory]
    [MemberData(nameof(FamiliesAndLayouts))]
    public void Checkpointing_changes_no_gradient(string family, bool transformers4)
    {
        var config = Config(family, transformers4);
        using var ids = TestModels.Ids(config, 2, 12);
        using var plain = CausalLm.Create(config);
        using var ck = CausalLm.Create(config, new ModelOptions { Checkpointing = true });
        Assert.Equal(TestModels.LossAndBackward(plain, ids), TestModels.LossAndBackward(ck, ids), 5);
        var g1 = TestModels.Grads(plain);
        var g2 = TestModels.Grads(ck);
        foreach (var (name, grad) in g1)
            Assert.True(grad.allclose(g2[name], rtol: 1e-4, atol: 1e-6), $"{name} differs under checkpointing");
        foreach (var t in g1.Values.Concat(g2.Values)) t.Dispose();
    }

    /// <summary>transformers' conversion from 4.x checkpoints: gate_up_proj[e] = cat(w1/gate_proj, w3/up_proj), down_proj[e] =
    /// w2/down_proj. With the weights copied that way, both layouts give the same loss in float32 (4.x casts the routing
    /// weights to the hidden dtype, a no-op in float32).</summary>
    [Theory]
    [InlineData("mixtral")]
    [InlineData("qwen2_moe")]
    public void The_two_layouts_compute_the_same_function(string family)
    {
        var fused = Config(family, false);
        var perExpert = Config(family, true);
        using var a = CausalLm.Create(fused);
        using var b = CausalLm.Create(perExpert);
        var target = b.NamedParameters.ToDictionary(p => p.Name, p => p.Tensor);
        string block = family == "mixtral" ? "block_sparse_moe" : "mlp";
        var (gate, up, down) = family == "mixtral" ? ("w1", "w3", "w2") : ("gate_proj", "up_proj", "down_proj");
        using (torch.no_grad())
            foreach (var p in a.NamedParameters)
            {
                var t = p.Table;
                if (t.Kind == TensorKind.StackedExperts)
                {
                    string prefix = t.Module.Replace(".mlp.experts", $".{block}.experts", StringComparison.Ordinal);
                    for (int e = 0; e < t.Count; e++)
                    {
                        var slice = p.Tensor[e];
                        if (t.Name.EndsWith("gate_up_proj", StringComparison.Ordinal))
                            slice.copy_(torch.cat([target[$"{prefix}.{e}.{gate}.weight"], target[$"{prefix}.{e}.{up}.weight"]], 0));
                        else slice.copy_(target[$"{prefix}.{e}.{down}.weight"]);
                    }
                }
                else p.Tensor.copy_(target[t.Name.Replace(".mlp.gate.", $".{block}.gate.", StringComparison.Ordinal)]);
            }
        using var ids = TestModels.Ids(fused, 2, 16);
        Assert.Equal(TestModels.LossAndBackward(b, ids), TestModels.LossAndBackward(a, ids), 5);
    }

    [Fact]
    public void Bf16_and_mixed_precision_train()
    {
        foreach (var precision in new[] { "bf16", "mixed" })
        foreach (var family in Configs.Keys)
        {
            var config = Config(family, false);
            using var model = CausalLm.Create(config, new ModelOptions { Precision = Precision.Parse(precision) });
            using var ids = TestModels.Ids(config, 2, 16);
            float loss = TestModels.LossAndBackward(model, ids);
            Assert.True(float.IsFinite(loss) && loss > 3.5 && loss < 5.5, $"{family} {precision}: loss {loss}"); // ≈ ln(96) = 4.56
            foreach (var p in model.NamedParameters)
            {
                using var g = p.Tensor.grad;
                Assert.True(g is not null, $"{family} {precision}: {p.Name} has no gradient");
            }
        }
    }
}
