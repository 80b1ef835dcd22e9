using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Tests;

/// <summary>Reading the dense families' config.json files: their configuration classes' defaults, the per-layer attention
/// patterns, and the keys that change memory without being modelled (errors naming the key).</summary>
public class FamilyConfigTests
{
    static ModelConfig Parse(string json) => HfConfigLoader.Parse(json, "cfg.json");

    const string Small = """ "vocab_size": 100, "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 12, "num_attention_heads": 4 """;

    [Fact]
    public void Gemma2_defaults_soft_cap_and_slide_on_even_layers_and_an_explicit_null_switches_a_cap_off()
    {
        var m = Parse("{ \"model_type\": \"gemma2\", " + Small + "}");
        Assert.Equal((50.0, 30.0, 256.0, 4096), (m.AttnLogitSoftcapping, m.FinalLogitSoftcapping, m.QueryPreAttnScalar, m.SlidingWindow));
        Assert.Equal("SFSFSFSFSFSF", m.LayerTypes);
        Assert.True(m.TieWordEmbeddings);
        Assert.Equal((4, 256, HiddenActivation.GeluTanh), (m.NumKeyValueHeads, m.HeadDim, m.HiddenAct));
        var off = Parse("{ \"model_type\": \"gemma2\", \"final_logit_softcapping\": null, \"attn_logit_softcapping\": null, " + Small + "}");
        Assert.Equal((0.0, 0.0), (off.AttnLogitSoftcapping, off.FinalLogitSoftcapping));
    }

    [Fact]
    public void Gemma3_slides_five_layers_of_six_and_reads_an_explicit_layer_types_list()
    {
        var m = Parse("{ \"model_type\": \"gemma3_text\", \"sliding_window\": 512, " + Small + "}");
        Assert.Equal("SSSSSFSSSSSF", m.LayerTypes);
        Assert.Equal((0.0, 0.0, 512), (m.AttnLogitSoftcapping, m.FinalLogitSoftcapping, m.SlidingWindow));
        var listed = Parse("""{ "model_type": "gemma3_text", "layer_types": ["full_attention", "sliding_attention"], "vocab_size": 100, "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2, "num_attention_heads": 4 }""");
        Assert.Equal("FS", listed.LayerTypes);
        Assert.Equal(2, ModelResolver.Resolve("gemma-3-1b").Layout().Parts.Count(p => p.Design is GaLore.Planner.Models.Families.DecoderBlockDesign { Sliding: false } && p.Layer is 5 or 11));
    }

    [Fact]
    public void Qwen3_slides_from_max_window_layers_only_when_use_sliding_window()
    {
        Assert.Null(Parse("{ \"model_type\": \"qwen3\", \"num_key_value_heads\": 2, \"sliding_window\": 4096, " + Small + "}").LayerTypes);
        var m = Parse("{ \"model_type\": \"qwen3\", \"num_key_value_heads\": 2, \"use_sliding_window\": true, \"sliding_window\": 256, \"max_window_layers\": 9, " + Small + "}");
        Assert.Equal(("FFFFFFFFFSSS", 256), (m.LayerTypes, m.SlidingWindow));
        // Qwen3Config's defaults: 32 K/V heads and head_dim 128, whatever hidden / heads is.
        var d = Parse("""{ "model_type": "qwen3", "vocab_size": 100, "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 1, "num_attention_heads": 32 }""");
        Assert.Equal((32, 128), (d.NumKeyValueHeads, d.HeadDim));
    }

    [Fact]
    public void Phi3_windows_every_layer_and_neox_rotates_a_quarter_of_each_head()
    {
        var phi = Parse("{ \"model_type\": \"phi3\", \"sliding_window\": 2047, " + Small + "}");
        Assert.Equal(new string('S', 12), phi.LayerTypes);
        var neox = Parse("{ \"model_type\": \"gpt_neox\", " + Small + "}");
        Assert.Equal((4, true, HiddenActivation.Gelu), (neox.RotaryWidth, neox.ParallelResidual, neox.HiddenAct)); // 16 · 0.25
        Assert.True(neox.QkvBias && neox.OutputBias && neox.MlpBias);
    }

    [Fact]
    public void Gpt2_reads_its_attribute_names_and_dropout_defaults()
    {
        var m = Parse("""{ "model_type": "gpt2", "n_embd": 64, "n_layer": 2, "n_head": 4, "n_positions": 128, "vocab_size": 100 }""");
        Assert.Equal((64, 256, 2, 4, 16, 128), (m.HiddenSize, m.IntermediateSize, m.NumLayers, m.NumHeads, m.HeadDim, m.MaxPositionEmbeddings));
        Assert.Equal((0.1, 0.1, 0.1, HiddenActivation.GeluNew), (m.AttentionDropout, m.ResidualDropout, m.EmbeddingDropout, m.HiddenAct));
        Assert.True(m.TieWordEmbeddings);
    }

    [Theory]
    [InlineData("""{ "model_type": "qwen3", "num_experts": 8, "vocab_size": 1, "hidden_size": 8, "intermediate_size": 8, "num_hidden_layers": 1, "num_attention_heads": 1 }""", "field 'num_experts'")]
    [InlineData("""{ "model_type": "gemma2", "quantization_config": { "bits": 4 }, "vocab_size": 1 }""", "field 'quantization_config'")]
    [InlineData("""{ "model_type": "falcon", "vocab_size": 1 }""", "model_type 'falcon' is not supported")]
    [InlineData("""{ "model_type": "gpt2", "scale_attn_by_inverse_layer_idx": true }""", "field 'scale_attn_by_inverse_layer_idx'")]
    [InlineData("""{ "model_type": "gpt2", "activation_function": "relu" }""", "activation_function 'relu' is not modelled")]
    [InlineData("""{ "model_type": "gemma3_text", "use_bidirectional_attention": true, "vocab_size": 1 }""", "field 'use_bidirectional_attention'")]
    [InlineData("""{ "model_type": "gemma2", "layer_types": ["chunked_attention"], "vocab_size": 1, "hidden_size": 8, "intermediate_size": 8, "num_hidden_layers": 1, "num_attention_heads": 1 }""", "'chunked_attention' is not modelled")]
    [InlineData("""{ "model_type": "gpt_neox", "rotary_pct": 0, "vocab_size": 1, "hidden_size": 8, "intermediate_size": 8, "num_hidden_layers": 1, "num_attention_heads": 1 }""", "rotary_pct must be in (0, 1]")]
    public void Unmodelled_keys_are_errors_naming_them(string json, string fragment)
    {
        var e = Assert.Throws<PlannerInputException>(() => Parse(json));
        Assert.Contains(fragment, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_family_refuses_switches_it_does_not_model()
    {
        var llama = ModelPresets.Find("tiny")!;
        var e = Assert.Throws<PlannerInputException>(() => (llama with { SlidingWindow = 64, LayerTypes = "SS" }).Validate());
        Assert.Contains("llama does not model SlidingWindow", e.Message);
        Assert.Throws<PlannerInputException>(() => (ModelResolver.Resolve("qwen3-0.6b") with { ParallelResidual = true }).Validate());
        Assert.Throws<PlannerInputException>(() => (ModelResolver.Resolve("gpt2") with { FinalLogitSoftcapping = 30 }).Validate());
    }

    [Fact]
    public void Gpt2s_conv1d_projections_are_not_galore_targets_as_in_hugging_face()
    {
        var table = ParameterTable.Build(ModelResolver.Resolve("gpt2"));
        var e = Assert.Throws<PlannerInputException>(() => OptimizerSetup.FromName("galore_adamw").SelectGaLore(table));
        Assert.Contains("match only Conv1D modules", e.Message);
        Assert.Contains("transformer.h.0.attn.c_attn", e.Message);
        // all-linear matches the tied lm_head, an nn.Linear whose weight is listed as transformer.wte: nothing is projected, and
        // Hugging Face does not raise (it counts matched modules).
        var none = OptimizerSetup.FromName("galore_adamw", targets: TargetModules.Parse("all-linear")).SelectGaLore(table);
        Assert.All(none, Assert.False);
    }

    [Fact]
    public void Phi3s_fused_projections_are_what_galore_projects()
    {
        var m = ModelResolver.Resolve("phi-3-mini");
        var table = ParameterTable.Build(m);
        var mask = OptimizerSetup.FromName("galore_adamw").SelectGaLore(table);
        var projected = table.Where((_, k) => mask[k]).Where(t => t.Layer == 0).Select(t => (t.Name, t.Rows, t.Cols)).ToList();
        Assert.Equal(
        [
            ("model.layers.0.self_attn.o_proj.weight", 3072L, 3072L), ("model.layers.0.self_attn.qkv_proj.weight", 9216, 3072),
            ("model.layers.0.mlp.gate_up_proj.weight", 16384, 3072), ("model.layers.0.mlp.down_proj.weight", 3072, 8192),
        ], projected);
    }

    [Fact]
    public void New_switches_travel_whole_in_a_step_json()
    {
        var model = ModelResolver.Resolve("gemma-2-2b") with { Name = "g", ResidualDropout = 0.25 };
        var step = new StepSpec(ModelResolver.Resolve("gemma-2-2b"), OptimizerSetup.FromName("adamw"), Precision.Parse("bf16"), false,
            AttentionKind.Math, RuntimeProfile.TorchSharpKernels);
        foreach (var m in new[] { step.Model, ModelResolver.Resolve("gpt2"), ModelResolver.Resolve("pythia-1b"), ModelResolver.Resolve("phi-3-mini") })
        {
            var s = step with { Model = m };
            var back = StepSpecJson.Deserialize(StepSpecJson.Serialize(s));
            Assert.Equal(s, back);
            Assert.Equal(m.LayerTypes, back.Model.LayerTypes);
        }
        Assert.Contains("\"final_logit_softcapping\":30", StepSpecJson.Serialize(step));
        Assert.Equal(0.25, StepSpecJson.Deserialize(StepSpecJson.Serialize(step with { Model = model })).Model.ResidualDropout);
    }

    [Theory]
    [InlineData("gemma2", -1)]
    [InlineData("gemma3_text", 2147483647)]
    [InlineData("qwen3", 2147483647)]
    public void A_layer_count_beyond_bounds_is_refused_before_the_layer_pattern_is_built(string type, int layers)
    {
        // Found by the fuzz suite: the sliding-window pattern was allocated before Validate checked num_hidden_layers.
        string json = $$"""{"model_type":"{{type}}","vocab_size":1024,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":{{layers}},"num_attention_heads":4,"num_key_value_heads":2,"head_dim":16,"sliding_window":128,"use_sliding_window":true}""";
        var e = Assert.Throws<PlannerInputException>(() => HfConfigLoader.Parse(json, "m"));
        Assert.Contains("num_hidden_layers", e.Message);
    }
}

/// <summary>Where merging attention heads copies: libtorch's CPU flash kernel lays its output out as the query is laid out.</summary>
public class HeadsMergeTests
{
    static readonly string Config = """{"model_type":"phi3","vocab_size":512,"hidden_size":96,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4""";

    static bool CopiesMergedHeads(string rotary, DeviceKind device)
    {
        var model = HfConfigLoader.Parse(Config + rotary + "}", "cfg.json");
        var spec = new StepSpec(model, OptimizerSetup.FromName("adamw"), new Precision(PrecisionMode.Fp32), Runtime: RuntimeProfile.TorchSharpKernels);
        return StepCompiler.Compile(spec, AllocationRounding.None, device).Trace(64, 64).Any(p => p.Label.Contains("heads merged", StringComparison.Ordinal));
    }

    [Fact]
    public void A_partial_rotary_query_makes_the_cpu_copy_the_merged_heads_and_a_full_rotary_or_cuda_does_not()
    {
        // Measured on dense-phi3-mha-rot50-v4k (partial_rotary_factor 0.5): one (B, T, hidden) float32 tensor more per block
        // than the graph without the copy (+1.97 MB at 1,024 tokens), −2.7 % → −0.1 % on its CPU validation row.
        Assert.True(CopiesMergedHeads(""","partial_rotary_factor":0.5""", DeviceKind.Cpu));
        Assert.False(CopiesMergedHeads("", DeviceKind.Cpu));
        Assert.False(CopiesMergedHeads(""","partial_rotary_factor":0.5""", DeviceKind.Cuda));
    }
}
