using GaLore.Planner.Runtime;
using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;

namespace GaLore.Planner.Tests;

/// <summary>The mixture-of-experts families: published counts, the tensor tables of both transformers layouts, config
/// parsing (defaults, dense layers, refused keys) and GaLore's target selection.</summary>
public class MoeFamilyTests
{
    // Small configs of each family and their counts derived by hand, tensor by tensor (V = 1000, h = 64).
    internal const string SmallMixtral = """
        { "model_type": "mixtral", "vocab_size": 1000, "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
          "num_attention_heads": 4, "num_key_value_heads": 2, "num_local_experts": 4, "num_experts_per_tok": 2 }
        """;
    internal const string SmallQwen2Moe = """
        { "model_type": "qwen2_moe", "vocab_size": 1000, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 3,
          "num_attention_heads": 4, "num_key_value_heads": 4, "num_experts": 4, "num_experts_per_tok": 2,
          "moe_intermediate_size": 32, "shared_expert_intermediate_size": 48, "mlp_only_layers": [1] }
        """;
    internal const string SmallQwen3Moe = """
        { "model_type": "qwen3_moe", "vocab_size": 1000, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 2,
          "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32, "num_experts": 4, "num_experts_per_tok": 2,
          "moe_intermediate_size": 48, "decoder_sparse_step": 2, "norm_topk_prob": true }
        """;
    internal const string SmallOlmoe = """
        { "model_type": "olmoe", "vocab_size": 1000, "hidden_size": 64, "intermediate_size": 32, "num_hidden_layers": 2,
          "num_attention_heads": 4, "num_experts": 8, "num_experts_per_tok": 2 }
        """;

    // Public figures: Mixtral-8x7B 46,702,792,704 (model card: 46.7 B); Qwen3-30B-A3B 30.5 B; Qwen1.5-MoE-A2.7B 14.3 B;
    // OLMoE-1B-7B 6.9 B — each the exact sum of its checkpoint's tensors (transformers 4.57.6 and 5.x name them
    // differently, the count is the same).
    [Theory]
    [InlineData("mixtral-8x7b", 46_702_792_704L)]
    [InlineData("mistralai/Mixtral-8x7B-v0.1", 46_702_792_704L)]
    [InlineData("qwen3-30b-a3b", 30_532_122_624L)]
    [InlineData("Qwen/Qwen3-30B-A3B", 30_532_122_624L)]
    [InlineData("qwen1.5-moe-a2.7b", 14_315_784_192L)]
    [InlineData("Qwen/Qwen1.5-MoE-A2.7B", 14_315_784_192L)]
    [InlineData("olmoe-1b-7b", 6_919_161_856L)]
    [InlineData("allenai/OLMoE-1B-7B-0924", 6_919_161_856L)]
    public void Presets_have_their_published_counts_in_both_layouts(string model, long expected)
    {
        var m = ModelResolver.Resolve(model);
        Assert.Equal(expected, ParameterCountTests.Count(m));
        Assert.Equal(expected, ParameterCountTests.Count(PerExpert(m)));
    }

    [Fact]
    public void Mixtral_layers_are_attention_router_experts_and_norms()
    {
        // Per layer: attn 4096² + 2·1024·4096 + 4096², router 8·4096, experts 8·3·4096·14336, norms 2·4096.
        var m = ModelPresets.Find("mixtral-8x7b")!;
        long layer = 4096L * 4096 + 2 * 1024L * 4096 + 4096L * 4096 + 8 * 4096 + 8 * 3 * 4096L * 14336 + 2 * 4096;
        Assert.Equal(1_451_270_144L, layer);
        Assert.Equal(32 * layer + 2 * 32000L * 4096 + 4096, ParameterCountTests.Count(m));
    }

    [Theory]
    [InlineData(SmallMixtral, 300_864L)]   // 2·1000·64 + 2·(12,288 attn + 256 router + 73,728 experts + 128 norms) + 64
    [InlineData(SmallQwen2Moe, 270_976L)]  // 128,000 + 2 sparse · 50,816 (16,576 attn+bias, 256 router, 24,576 experts, 9,216 shared, 64 gate, 128) + dense 41,280 + 64
    [InlineData(SmallQwen3Moe, 230_080L)]  // 128,000 + dense layer 0 (24,576 attn, 64 q/k norms, 128, 15,360 mlp) + sparse layer 1 (24,576, 64, 128, 256, 36,864) + 64
    [InlineData(SmallOlmoe, 260_672L)]     // 128,000 + 2·(16,384 attn, 128 q/k norms, 512 router, 49,152 experts, 128 norms) + 64
    public void Small_configs_have_their_hand_derived_counts(string json, long expected)
    {
        var m = HfConfigLoader.Parse(json, "small");
        Assert.Equal(expected, ParameterCountTests.Count(m));
        Assert.Equal(expected, ParameterCountTests.Count(PerExpert(m)));
    }

    [Fact]
    public void Transformers5_fuses_experts_into_3d_tensors_and_keeps_the_router_a_bare_parameter()
    {
        var m = HfConfigLoader.Parse(SmallMixtral, "m");
        var layer0 = Layer(m, 0);
        Assert.Equal(
        [
            ("model.layers.0.self_attn.q_proj.weight", "64×64", TensorKind.AttentionProjection),
            ("model.layers.0.self_attn.k_proj.weight", "32×64", TensorKind.AttentionProjection),
            ("model.layers.0.self_attn.v_proj.weight", "32×64", TensorKind.AttentionProjection),
            ("model.layers.0.self_attn.o_proj.weight", "64×64", TensorKind.AttentionProjection),
            ("model.layers.0.mlp.gate.weight", "4×64", TensorKind.Router),
            ("model.layers.0.mlp.experts.gate_up_proj", "4×192×64", TensorKind.StackedExperts),
            ("model.layers.0.mlp.experts.down_proj", "4×64×96", TensorKind.StackedExperts),
            ("model.layers.0.input_layernorm.weight", "64", TensorKind.Norm),
            ("model.layers.0.post_attention_layernorm.weight", "64", TensorKind.Norm),
        ], layer0);
        // Qwen3-MoE 5.x registers the experts before the router.
        var qwen3 = Layer(HfConfigLoader.Parse(SmallQwen3Moe, "q"), 1).Select(t => t.Name).ToList();
        Assert.Equal(
        [
            "model.layers.1.self_attn.q_proj.weight", "model.layers.1.self_attn.k_proj.weight", "model.layers.1.self_attn.v_proj.weight",
            "model.layers.1.self_attn.o_proj.weight", "model.layers.1.self_attn.q_norm.weight", "model.layers.1.self_attn.k_norm.weight",
            "model.layers.1.mlp.experts.gate_up_proj", "model.layers.1.mlp.experts.down_proj", "model.layers.1.mlp.gate.weight",
            "model.layers.1.input_layernorm.weight", "model.layers.1.post_attention_layernorm.weight",
        ], qwen3);
    }

    [Fact]
    public void Transformers4_has_one_linear_per_expert_with_each_familys_names()
    {
        var mixtral = Layer(PerExpert(HfConfigLoader.Parse(SmallMixtral, "m")), 0).Select(t => (t.Name, t.Kind)).ToList();
        Assert.Equal(4 + 1 + 3 * 4 + 2, mixtral.Count);
        Assert.Equal(("model.layers.0.block_sparse_moe.gate.weight", TensorKind.RouterProjection), mixtral[4]);
        Assert.Equal(
        [
            ("model.layers.0.block_sparse_moe.experts.0.w1.weight", TensorKind.ExpertProjection),
            ("model.layers.0.block_sparse_moe.experts.0.w2.weight", TensorKind.ExpertProjection),
            ("model.layers.0.block_sparse_moe.experts.0.w3.weight", TensorKind.ExpertProjection),
            ("model.layers.0.block_sparse_moe.experts.1.w1.weight", TensorKind.ExpertProjection),
        ], mixtral.Skip(5).Take(4));
        var qwen2 = ParameterTable.Build(PerExpert(HfConfigLoader.Parse(SmallQwen2Moe, "q"))).Where(t => t.Layer == 0)
            .Select(t => (t.Name, t.Rows, t.Cols)).ToList();
        Assert.Equal(
        [
            ("model.layers.0.self_attn.q_proj.weight", 64L, 64L), ("model.layers.0.self_attn.q_proj.bias", 64, 1),
            ("model.layers.0.self_attn.k_proj.weight", 64, 64), ("model.layers.0.self_attn.k_proj.bias", 64, 1),
            ("model.layers.0.self_attn.v_proj.weight", 64, 64), ("model.layers.0.self_attn.v_proj.bias", 64, 1),
            ("model.layers.0.self_attn.o_proj.weight", 64, 64),
            ("model.layers.0.mlp.gate.weight", 4, 64),
            ("model.layers.0.mlp.experts.0.gate_proj.weight", 32, 64), ("model.layers.0.mlp.experts.0.up_proj.weight", 32, 64),
            ("model.layers.0.mlp.experts.0.down_proj.weight", 64, 32),
        ], qwen2.Take(11));
        Assert.Equal(
        [
            ("model.layers.0.mlp.shared_expert.gate_proj.weight", 48L, 64L), ("model.layers.0.mlp.shared_expert.up_proj.weight", 48, 64),
            ("model.layers.0.mlp.shared_expert.down_proj.weight", 64, 48), ("model.layers.0.mlp.shared_expert_gate.weight", 1, 64),
            ("model.layers.0.input_layernorm.weight", 64, 1), ("model.layers.0.post_attention_layernorm.weight", 64, 1),
        ], qwen2.TakeLast(6));
    }

    [Fact]
    public void Qwen_mlp_only_layers_and_the_sparse_step_keep_dense_mlps()
    {
        var qwen2 = HfConfigLoader.Parse(SmallQwen2Moe, "q");      // mlp_only_layers [1]
        Assert.Contains(ParameterTable.Build(qwen2), t => t.Name == "model.layers.1.mlp.gate_proj.weight" && t.Rows == 128);
        Assert.DoesNotContain(ParameterTable.Build(qwen2), t => t.Name.StartsWith("model.layers.1.mlp.experts", StringComparison.Ordinal));
        var qwen3 = HfConfigLoader.Parse(SmallQwen3Moe, "q");      // decoder_sparse_step 2: layer 0 dense, layer 1 sparse
        Assert.False(qwen3.Moe!.IsSparse(0));
        Assert.True(qwen3.Moe.IsSparse(1));
        var parts = qwen3.Layout().Parts.Where(p => p.Layer >= 0).ToList();
        Assert.NotEqual(parts[0].Design, parts[1].Design);
        Assert.Contains(ParameterTable.Build(qwen3), t => t.Name == "model.layers.0.mlp.down_proj.weight" && t.Cols == 80);
    }

    [Fact]
    public void Config_defaults_follow_the_transformers_classes()
    {
        var mixtral = HfConfigLoader.Parse("""{ "model_type": "mixtral" }""", "m");
        Assert.Equal((8, 2, 14336), (mixtral.Moe!.Experts, mixtral.Moe.TopK, mixtral.Moe.ExpertIntermediateSize));
        Assert.Equal((4096, 32, 8, 32000), (mixtral.HiddenSize, mixtral.NumLayers, mixtral.NumKeyValueHeads, mixtral.VocabSize));
        var qwen2 = HfConfigLoader.Parse("""{ "model_type": "qwen2_moe" }""", "q");
        Assert.Equal((60, 4, 1408, 5632, false), (qwen2.Moe!.Experts, qwen2.Moe.TopK, qwen2.Moe.ExpertIntermediateSize,
            qwen2.Moe.SharedExpertIntermediateSize, qwen2.Moe.NormTopKProb));
        Assert.True(qwen2.QkvBias && !qwen2.OutputBias);
        var qwen3 = HfConfigLoader.Parse("""{ "model_type": "qwen3_moe", "num_local_experts": 16 }""", "q"); // 5.x attribute_map
        Assert.Equal((16, 8, 768, 4), (qwen3.Moe!.Experts, qwen3.Moe.TopK, qwen3.Moe.ExpertIntermediateSize, qwen3.NumKeyValueHeads));
        var olmoe = HfConfigLoader.Parse("""{ "model_type": "olmoe" }""", "o");
        Assert.Equal((64, 8, 2048, 16), (olmoe.Moe!.Experts, olmoe.Moe.TopK, olmoe.Moe.ExpertIntermediateSize, olmoe.NumKeyValueHeads));
        Assert.Equal(ExpertsImplementation.Eager,
            HfConfigLoader.Parse("""{ "model_type": "olmoe", "experts_implementation": "eager" }""", "o").Moe!.Implementation);
    }

    [Theory]
    [InlineData("""{ "model_type": "mixtral", "quantization_config": { "load_in_4bit": true } }""", "'quantization_config'")]
    [InlineData("""{ "model_type": "qwen3_moe", "output_router_logits": true }""", "'output_router_logits'")]
    [InlineData("""{ "model_type": "mixtral", "router_jitter_noise": 0.1 }""", "'router_jitter_noise'")]
    [InlineData("""{ "model_type": "olmoe", "clip_qkv": 8.0 }""", "'clip_qkv'")]
    [InlineData("""{ "model_type": "qwen2_moe", "attention_dropout": 0.1 }""", "'attention_dropout'")]
    [InlineData("""{ "model_type": "qwen2_moe", "experts_implementation": "batched_mm" }""", "'experts_implementation'")]
    [InlineData("""{ "model_type": "mixtral", "moe_intermediate_size": 512 }""", "'moe_intermediate_size'")]
    [InlineData("""{ "model_type": "mixtral", "mlp_only_layers": [0] }""", "'mlp_only_layers'")]
    [InlineData("""{ "model_type": "olmoe", "decoder_sparse_step": 2 }""", "'decoder_sparse_step'")]
    [InlineData("""{ "model_type": "qwen3_moe", "shared_expert_intermediate_size": 512 }""", "'shared_expert_intermediate_size'")]
    [InlineData("""{ "model_type": "qwen2_moe", "num_local_experts": 8 }""", "'num_local_experts'")]
    [InlineData("""{ "model_type": "mixtral", "num_local_experts": 2, "num_experts_per_tok": 3 }""", "num_experts_per_tok (3) exceeds")]
    [InlineData("""{ "model_type": "qwen2_moe", "decoder_sparse_step": 0 }""", "decoder_sparse_step must be positive")]
    [InlineData("""{ "model_type": "olmoe", "head_dim": 64 }""", "q_norm spans hidden_size")]
    public void Keys_that_change_memory_but_are_not_modelled_are_refused_by_name(string json, string fragment)
    {
        var e = Assert.Throws<PlannerInputException>(() => HfConfigLoader.Parse(json, "moe.json"));
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void Layout_option_and_moe_settings_round_trip_through_the_step_json()
    {
        foreach (var m in new[] { HfConfigLoader.Parse(SmallQwen2Moe, "q"), PerExpert(ModelPresets.Find("qwen3-30b-a3b")!) })
        {
            var step = new StepSpec(m, OptimizerSetup.FromName("galore_adamw"), Precision.Parse("bf16"));
            var back = StepSpecJson.Deserialize(StepSpecJson.Serialize(step));
            Assert.Equal(m.Moe, back.Model.Moe);
            Assert.Equal(step.Model, back.Model);
            Assert.Equal(ParameterTable.Build(m).Select(t => t.Name), ParameterTable.Build(back.Model).Select(t => t.Name));
        }
    }

    // HF's GaLore selection (Trainer._get_galore_optimizer, check_target_module_exists): a Linear module whose name contains
    // "attn" or "mlp"; "all-linear" every Linear, lm_head included. 5.x has no Linear inside experts or router.
    [Theory]
    [InlineData(SmallMixtral, "attn,mlp", false, 2 * 4)]                          // q,k,v,o only
    [InlineData(SmallMixtral, "attn,mlp", true, 2 * 4)]                           // block_sparse_moe.* contains neither
    [InlineData(SmallMixtral, "all-linear", false, 2 * 4 + 1)]                    // + lm_head
    [InlineData(SmallMixtral, "all-linear", true, 2 * (4 + 1 + 12) + 1)]          // + router + 3E experts per layer
    [InlineData(SmallQwen2Moe, "attn,mlp", false, 3 * 4 + 2 * 4 + 3)]             // + shared expert ×3 and its gate; dense layer's mlp
    [InlineData(SmallQwen2Moe, "attn,mlp", true, 3 * 4 + 2 * (1 + 12 + 4) + 3)]   // + router + experts per sparse layer
    [InlineData(SmallQwen2Moe, "all-linear", false, 3 * 4 + 2 * 4 + 3 + 1)]
    [InlineData(SmallQwen3Moe, "attn,mlp", false, 2 * 4 + 3)]                     // layer 0's dense mlp
    [InlineData(SmallQwen3Moe, "attn,mlp", true, 2 * 4 + 3 + 1 + 12)]
    [InlineData(SmallOlmoe, "attn,mlp", true, 2 * (4 + 1 + 24))]
    [InlineData(SmallOlmoe, "all-linear", false, 2 * 4 + 1)]
    public void GaLore_selects_hfs_linear_modules_in_each_layout(string json, string targets, bool transformers4, int expected)
    {
        var m = HfConfigLoader.Parse(json, "m");
        if (transformers4) m = PerExpert(m);
        var table = ParameterTable.Build(m);
        var mask = OptimizerSetup.FromName("galore_adamw", GaLoreSettings.Default with { Rank = 8 }, TargetModules.Parse(targets)).SelectGaLore(table);
        var selected = table.Where((_, k) => mask[k]).ToList();
        Assert.Equal(expected, selected.Count);
        Assert.All(selected, t => Assert.True(t.IsLinearWeight && t.Kind != TensorKind.StackedExperts && t.Kind != TensorKind.Router));
        if (!transformers4) Assert.DoesNotContain(selected, t => t.Name.Contains("experts.", StringComparison.Ordinal) || t.Name.EndsWith("mlp.gate.weight"));
    }

    [Fact]
    public void Routers_and_the_shared_expert_gate_are_projected_at_their_full_rank()
    {
        // galore_torch slices U[:, :rank] of a 1 × h gate: rank 128 projects it at rank 1, as HF trains it.
        var m = ModelPresets.Find("qwen1.5-moe-a2.7b")!;
        var setup = OptimizerSetup.FromName("galore_adamw");
        var table = ParameterTable.Build(m);
        var mask = setup.SelectGaLore(table);
        int gate = table.ToList().FindIndex(t => t.Name == "model.layers.0.mlp.shared_expert_gate.weight");
        Assert.True(mask[gate]);
        Assert.Equal(1, ProjectionGeometry.For(1, 2048, 128, ProjectionType.Std).Rank);
        // A router narrower than the rank under 4.x (60 experts, rank 128) is projected too; an expert narrower than the rank is not.
        Assert.Contains(true, setup.SelectGaLore(ParameterTable.Build(PerExpert(m))));
        var e = Assert.Throws<PlannerInputException>(() =>
            OptimizerSetup.FromName("galore_adamw", GaLoreSettings.Default with { Rank = 1500 }).SelectGaLore(ParameterTable.Build(PerExpert(m))));
        Assert.Contains("experts.0.gate_proj", e.Message);
    }

    [Fact]
    public void Adafactor_factors_the_last_two_dims_of_a_stacked_expert_tensor()
    {
        var m = HfConfigLoader.Parse(SmallMixtral, "m");
        var gateUp = ParameterTable.Build(m).Single(t => t.Name == "model.layers.0.mlp.experts.gate_up_proj");
        var states = StateLayout.Describe(gateUp, false, OptimizerSetup.FromName("adafactor"), Precision.Parse("bf16"), RuntimeProfile.PyTorchReference);
        // exp_avg_sq_row = shape[:-1] = (E, 2i); exp_avg_sq_col = shape[:-2] + shape[-1:] = (E, h)
        Assert.Equal([("exp_avg_sq_row", 4L * 192), ("exp_avg_sq_col", 4L * 64)], states.Select(s => (s.Name, s.Elements)));
        var adam = StateLayout.Describe(gateUp, false, OptimizerSetup.FromName("adamw_8bit"), Precision.Parse("bf16"), RuntimeProfile.PyTorchReference);
        Assert.Equal(4L * 192 * 64, adam.Single(s => s.Name == "state1").Elements);
    }

    static ModelConfig PerExpert(ModelConfig m) => m with { Moe = m.Moe! with { Layout = MoeLayout.PerExpert } };

    static List<(string Name, string Shape, TensorKind Kind)> Layer(ModelConfig m, int layer) =>
        ParameterTable.Build(m).Where(t => t.Layer == layer).Select(t => (t.Name, string.Join("×", t.Shape()), t.Kind)).ToList();
}
