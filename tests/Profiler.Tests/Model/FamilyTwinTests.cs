using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models;
using GaLore.Profiler.Model;
using GaLore.Profiler.Model.Parts;
using GaLore.Profiler.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Profiler.Tests.Model;

/// <summary>The dense families' TorchSharp twins: every parameter of the planner's table is used and gets a gradient of its
/// shape, the models learn, SDPA and eager attention compute the same function where the family's code does, and the
/// pieces the twins add (Gemma's 1 + w norm, gelu_new, Conv1D, the window mask) match plain formulas.</summary>
[Collection("torch")]
public sealed class FamilyTwinTests
{
    const string Shape = "\"vocab_size\": 128, \"intermediate_size\": 64, \"num_hidden_layers\": 2";

    /// <summary>One small configuration per family (odd shapes: head_dim ≠ hidden / heads, grouped-query, windows shorter than
    /// the test sequence so the window masks exist), and the variants that change the twin's code path.</summary>
    static readonly Dictionary<string, string> Configs = new()
    {
        ["qwen3"] = "{ \"model_type\": \"qwen3\", " + Shape + ", \"hidden_size\": 48, \"num_attention_heads\": 6, \"num_key_value_heads\": 2, \"head_dim\": 12, \"attention_bias\": true }",
        ["qwen3-sliding-tied"] = "{ \"model_type\": \"qwen3\", " + Shape + ", \"hidden_size\": 48, \"num_attention_heads\": 4, \"num_key_value_heads\": 4, \"head_dim\": 16, \"use_sliding_window\": true, \"sliding_window\": 5, \"max_window_layers\": 1, \"tie_word_embeddings\": true }",
        ["gemma2"] = "{ \"model_type\": \"gemma2\", " + Shape + ", \"hidden_size\": 40, \"num_attention_heads\": 4, \"num_key_value_heads\": 2, \"head_dim\": 16, \"query_pre_attn_scalar\": 16, \"sliding_window\": 6 }",
        ["gemma2-nocap"] = "{ \"model_type\": \"gemma2\", " + Shape + ", \"hidden_size\": 40, \"num_attention_heads\": 4, \"num_key_value_heads\": 2, \"head_dim\": 16, \"query_pre_attn_scalar\": 24, \"sliding_window\": 6, \"attn_logit_softcapping\": null }",
        ["gemma3"] = "{ \"model_type\": \"gemma3_text\", \"vocab_size\": 128, \"intermediate_size\": 64, \"num_hidden_layers\": 3, \"hidden_size\": 40, \"num_attention_heads\": 2, \"num_key_value_heads\": 1, \"head_dim\": 16, \"query_pre_attn_scalar\": 16, \"sliding_window\": 4, \"sliding_window_pattern\": 2, \"final_logit_softcapping\": 30.0 }",
        ["phi3"] = "{ \"model_type\": \"phi3\", " + Shape + ", \"hidden_size\": 48, \"num_attention_heads\": 4, \"num_key_value_heads\": 2, \"partial_rotary_factor\": 0.5, \"sliding_window\": 5 }",
        ["phi3-mha"] = "{ \"model_type\": \"phi3\", " + Shape + ", \"hidden_size\": 48, \"num_attention_heads\": 3 }",
        ["olmo2"] = "{ \"model_type\": \"olmo2\", " + Shape + ", \"hidden_size\": 48, \"num_attention_heads\": 4, \"num_key_value_heads\": 2 }",
        ["gpt2"] = "{ \"model_type\": \"gpt2\", \"vocab_size\": 128, \"n_embd\": 48, \"n_layer\": 2, \"n_head\": 3, \"n_positions\": 32 }",
        ["gpt2-nodropout-untied"] = "{ \"model_type\": \"gpt2\", \"vocab_size\": 128, \"n_embd\": 48, \"n_layer\": 2, \"n_head\": 4, \"n_positions\": 32, \"attn_pdrop\": 0, \"resid_pdrop\": 0, \"embd_pdrop\": 0, \"tie_word_embeddings\": false }",
        ["neox"] = "{ \"model_type\": \"gpt_neox\", " + Shape + ", \"hidden_size\": 48, \"num_attention_heads\": 4, \"rotary_pct\": 0.5 }",
        ["neox-sequential-tied"] = "{ \"model_type\": \"gpt_neox\", " + Shape + ", \"hidden_size\": 48, \"num_attention_heads\": 3, \"use_parallel_residual\": false, \"attention_bias\": false, \"tie_word_embeddings\": true }",
    };

    static ModelConfig Config(string name) => HfConfigLoader.Parse(Configs[name], name);

    public static TheoryData<string> All => new(Configs.Keys);

    /// <summary>Configurations without randomness (no dropout) and without a computation that SDPA leaves out (Gemma-2's
    /// score soft-cap): their SDPA and eager forwards compute the same function.</summary>
    public static TheoryData<string> Deterministic => new(Configs.Keys.Where(k => k is not ("gpt2" or "gemma2")));

    [Theory]
    [MemberData(nameof(All))]
    public void Every_parameter_gets_a_gradient_of_its_shape_under_both_attentions(string name)
    {
        var config = Config(name);
        foreach (var attention in new[] { AttentionKind.Sdpa, AttentionKind.Math })
        {
            using var model = CausalLm.Create(config, new ModelOptions { Attention = attention });
            var table = ParameterTable.Build(config);
            Assert.Equal(table.Select(t => t.Name), model.NamedParameters.Select(p => p.Name));
            using var ids = TestModels.Ids(config, 2, 8);
            float loss = TestModels.LossAndBackward(model, ids);
            Assert.True(float.IsFinite(loss), $"{name} {attention}: loss {loss}");
            TestModels.AssertEveryParameterHasItsGradient(model, table, $"{name} {attention}: ");
            Assert.Equal(0, GradientHandoff.PendingCount);
        }
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Loss_starts_near_ln_v_and_falls_with_plain_sgd(string name)
    {
        var config = Config(name);
        using var model = CausalLm.Create(config);
        using var ids = TestModels.Ids(config, 4, 16);
        var sgd = new PlainSgd(model.NamedParameters, lr: 0.5);
        var losses = new List<float>();
        for (int step = 0; step < 10; step++)
        {
            losses.Add(TestModels.LossAndBackward(model, ids));
            sgd.Step();
            sgd.ZeroGrad();
        }
        Assert.InRange(losses[0], MathF.Log(128) - 0.4f, MathF.Log(128) + 0.4f);
        Assert.True(losses[^1] < losses[0] - 0.3f, $"{name}: {string.Join(", ", losses)}");
    }

    [Theory]
    [MemberData(nameof(Deterministic))]
    public void Sdpa_and_eager_attention_agree_in_float32(string name)
    {
        var config = Config(name);
        using var ids = TestModels.Ids(config, 2, 12);
        using var sdpa = CausalLm.Create(config);
        using var eager = CausalLm.Create(config, new ModelOptions { Attention = AttentionKind.Math });
        Assert.Equal(TestModels.LossAndBackward(sdpa, ids), TestModels.LossAndBackward(eager, ids), 4);
        TestModels.AssertSameGradients(sdpa, eager, 1e-3, 1e-5, $"between SDPA and eager ({name})");
    }

    [Theory]
    [InlineData("gemma2-nocap")]
    [InlineData("qwen3-sliding-tied")]
    [InlineData("neox-sequential-tied")]
    public void Checkpointing_changes_no_gradient(string name)
    {
        var config = Config(name);
        using var ids = TestModels.Ids(config, 2, 12);
        using var plain = CausalLm.Create(config);
        using var ck = CausalLm.Create(config, new ModelOptions { Checkpointing = true });
        Assert.Equal(TestModels.LossAndBackward(plain, ids), TestModels.LossAndBackward(ck, ids), 5);
        TestModels.AssertSameGradients(plain, ck, 1e-4, 1e-6, $"under checkpointing ({name})");
    }

    [Fact]
    public void A_window_longer_than_the_sequence_changes_nothing_and_a_short_one_changes_the_loss()
    {
        var wide = Config("qwen3-sliding-tied") with { SlidingWindow = 64 };
        var none = Config("qwen3-sliding-tied") with { SlidingWindow = 0, LayerTypes = null };
        var narrow = Config("qwen3-sliding-tied");
        using var ids = TestModels.Ids(narrow, 2, 12);
        float Loss(ModelConfig c, AttentionKind a)
        {
            using var m = CausalLm.Create(c, new ModelOptions { Attention = a });
            return TestModels.LossAndBackward(m, ids);
        }
        float reference = Loss(none, AttentionKind.Sdpa);
        Assert.Equal(reference, Loss(wide, AttentionKind.Sdpa), 5);
        Assert.Equal(reference, Loss(wide, AttentionKind.Math), 4);
        Assert.NotEqual(reference, Loss(narrow, AttentionKind.Sdpa), 3);
        Assert.Equal(Loss(narrow, AttentionKind.Sdpa), Loss(narrow, AttentionKind.Math), 4);
    }

    [Fact]
    public void Dropout_is_seeded_and_only_in_training()
    {
        var config = Config("gpt2");
        using var ids = TestModels.Ids(config, 2, 8);
        float Loss()
        {
            using var m = CausalLm.Create(config);
            return TestModels.LossAndBackward(m, ids);
        }
        Assert.Equal(Loss(), Loss());                   // same seed, same masks
        using var a = CausalLm.Create(config);
        float first = TestModels.LossAndBackward(a, ids);
        Assert.NotEqual(first, TestModels.LossAndBackward(a, ids)); // new masks on the next step
    }

    [Fact]
    public void Gemma_norm_scales_by_one_plus_weight_and_gelu_new_is_the_tanh_formula()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(3);
        var x = torch.randn([3, 5, 8], generator: g);
        var w = torch.randn([8], generator: g);
        var y = FusedRmsNormFunction.Apply(x, w, 1e-6, ScalarType.Float32, offset: 1.0);
        var plain = x.mul(x.square().mean([-1], keepdim: true).add(1e-6).rsqrt()).mul(w.add(1.0));
        Assert.True(y.allclose(plain, rtol: 1e-5, atol: 1e-6));
        var gelu = DecoderMlp.Activate(x, HiddenActivation.GeluNew);
        var formula = x.mul(0.5).mul(x.add(x.pow(3).mul(0.044715)).mul(Math.Sqrt(2 / Math.PI)).tanh().add(1));
        Assert.True(gelu.allclose(formula, rtol: 1e-5, atol: 1e-6));
        Assert.True(gelu.allclose(nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh), rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void Gpt_2_s_conv_1_d_weights_are_in_by_out_and_its_linears_are_not_galore_targets()
    {
        var config = Config("gpt2");
        using var model = CausalLm.Create(config);
        var cAttn = model.NamedParameters.Single(p => p.Name == "transformer.h.0.attn.c_attn.weight");
        Assert.Equal([48L, 144L], cAttn.Tensor.shape);
        Assert.False(cAttn.IsLinearWeight);
        Assert.DoesNotContain(model.NamedParameters, p => p.IsLinearWeight);
    }
}
