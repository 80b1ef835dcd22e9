using GaLore.Planner.Adapters;
using GaLore.Planner.Models;

namespace GaLore.Planner.Tests.Adapters;

public class AdapterLayoutTests
{
    static readonly ModelConfig Llama2 = ModelPresets.Find("llama-2-7b")!;

    static AdaptedLayout Wrap(ModelConfig m, AdapterSetup a) => AdapterTransform.Apply(m.Layout(), a);

    // peft's print_trainable_parameters for Llama-2-7B (h 4096, ffn 11008, 32 layers, vocab 32000, untied), base 6,738,415,616:
    // r = 8 on q_proj, v_proj: 32 · 2 · 8 · (4096 + 4096) = 4,194,304 ("trainable params: 4,194,304 || all params: 6,742,609,920
    // || trainable%: 0.0622", the figure peft's README and model cards print); r = 16 on all-linear: 32 · (4 · 16 · 8192 +
    // 3 · 16 · (4096 + 11008)) = 39,976,960; DoRA adds out_features per adapted Linear: 32 · (5 · 4096 + 2 · 11008) = 1,359,872.
    [Theory]
    [InlineData(PeftMethod.Lora, 8, "q_proj,v_proj", 4_194_304L, 6_742_609_920L)]
    [InlineData(PeftMethod.Lora, 16, "all-linear", 39_976_960L, 6_778_392_576L)]
    [InlineData(PeftMethod.Dora, 16, "all-linear", 41_336_832L, 6_779_752_448L)]
    public void Trainable_counts_equal_peft_print_trainable_parameters_for_llama_2_7b(PeftMethod method, int r, string targets, long trainable, long all)
    {
        var a = Wrap(Llama2, new AdapterSetup(method, r, Targets: PeftTargets.Parse(targets)));
        Assert.Equal(trainable, a.TrainableParameters);
        Assert.Equal(all, a.AllParameters);
        Assert.Equal(6_738_415_616L, all - trainable);
    }

    [Fact]
    public void Peft_default_targets_for_llama_are_q_and_v_and_a_4_bit_base_counts_its_original_elements()
    {
        var dflt = Wrap(Llama2, new AdapterSetup(PeftMethod.Lora));
        var qlora = Wrap(Llama2, new AdapterSetup(PeftMethod.Lora, Quant: BaseQuant.Nf4, DoubleQuant: true));
        Assert.Equal(4_194_304L, dflt.TrainableParameters);
        Assert.Equal(dflt.AllParameters, qlora.AllParameters);   // Params4bit counts numel · 2 (get_nb_trainable_parameters)
    }

    [Fact]
    public void Wrapped_names_follow_peft_base_layer_then_lora_A_lora_B_magnitude()
    {
        var a = Wrap(ModelPresets.Find("tiny")!, new AdapterSetup(PeftMethod.Dora, 4));
        var layer0 = a.Layout.Parameters.Where(t => t.Layer == 0).Select(t => (t.Name, t.Rows, t.Cols)).Take(10).ToList();
        Assert.Equal(
        [
            ("model.layers.0.input_layernorm.weight", 64L, 1L),
            ("model.layers.0.self_attn.q_proj.base_layer.weight", 64L, 64L),
            ("model.layers.0.self_attn.q_proj.lora_A.default.weight", 4L, 64L),                 // r × in
            ("model.layers.0.self_attn.q_proj.lora_B.default.weight", 64L, 4L),                 // out × r
            ("model.layers.0.self_attn.q_proj.lora_magnitude_vector.default.weight", 64L, 1L),  // out
            ("model.layers.0.self_attn.k_proj.weight", 32L, 64L),
            ("model.layers.0.self_attn.v_proj.base_layer.weight", 32L, 64L),
            ("model.layers.0.self_attn.v_proj.lora_A.default.weight", 4L, 64L),
            ("model.layers.0.self_attn.v_proj.lora_B.default.weight", 32L, 4L),
            ("model.layers.0.self_attn.v_proj.lora_magnitude_vector.default.weight", 32L, 1L),
        ], layer0);
        var block = a.Layout.Parts[1];
        Assert.Equal("model.layers.0.self_attn.q_proj.lora_A.default.weight", a.Layout.Parameters[block.ParameterOf(AdapterRoles.A("q_proj"))].Name);
        Assert.Equal(a.Layout.Parameters.Count, a.Layout.Parts.Sum(p => p.Owned.Count));
    }

    [Fact]
    public void Only_adapter_tensors_train_and_a_quantized_base_keeps_lm_head_embeddings_and_norms_in_16_bit()
    {
        var a = Wrap(ModelPresets.Find("tiny")!, new AdapterSetup(PeftMethod.Lora, 4, Quant: BaseQuant.Nf4));
        for (int k = 0; k < a.Layout.Parameters.Count; k++)
        {
            var t = a.Layout.Parameters[k];
            Assert.Equal(t.Kind is TensorKind.AdapterMatrix, a.IsTrainable(k));
            bool quantized = t.Kind is TensorKind.AttentionProjection or TensorKind.MlpProjection;
            Assert.Equal(quantized ? BaseQuant.Nf4 : BaseQuant.None, a.QuantOf(k));
        }
    }

    [Theory]
    [InlineData("q_proj,v_proj", 4)]                  // list: equal, or ends with "." + entry
    [InlineData("proj", 0)]                           // no substring matching (HF's optim_target_modules would take all 7)
    [InlineData("self_attn.q_proj", 2)]
    [InlineData("regex:.*layers\\.1\\..*_proj", 7)]   // a string is a full-match regex: layer 1 only
    [InlineData("all-linear", 14)]                    // lm_head is the output embedding: left out
    [InlineData("lm_head", 1)]
    public void Targets_follow_peft_matching(string targets, int adaptedModules)
    {
        var m = ModelPresets.Find("tiny")!;
        if (adaptedModules == 0)
        {
            var e = Assert.Throws<PlannerInputException>(() => Wrap(m, new AdapterSetup(PeftMethod.Lora, Targets: PeftTargets.Parse(targets))));
            Assert.Contains("match no Linear module", e.Message);
            return;
        }
        var a = Wrap(m, new AdapterSetup(PeftMethod.Lora, Targets: PeftTargets.Parse(targets)));
        Assert.Equal(2 * adaptedModules, a.Layout.Parameters.Count(t => t.Kind == TensorKind.AdapterMatrix));
    }

    [Fact]
    public void A_target_that_is_not_a_linear_is_refused_and_an_unknown_architecture_needs_targets()
    {
        var m = ModelPresets.Find("tiny")!;
        var e = Assert.Throws<PlannerInputException>(() => Wrap(m, new AdapterSetup(PeftMethod.Lora, Targets: PeftTargets.Parse("embed_tokens"))));
        Assert.Contains("not an nn.Linear", e.Message);
        Assert.Contains("no default target_modules", Assert.Throws<PlannerInputException>(() => PeftTargets.DefaultFor("t5")).Message);
        // GPT-2's projections are Conv1D: the refusal says so, rather than calling c_attn an embedding or a norm.
        var gpt2 = ModelPresets.Find("gpt2")!;
        var c = Assert.Throws<PlannerInputException>(() => Wrap(gpt2, new AdapterSetup(PeftMethod.Lora, Targets: PeftTargets.DefaultFor("gpt2"))));
        Assert.Contains("transformer.h.0.attn.c_attn, a transformers Conv1D", c.Message);
        Assert.DoesNotContain("embeddings and norms", c.Message);
    }

    [Theory]
    [InlineData(0, 8, 0, BaseQuant.None, false, "--lora-r")]
    [InlineData(8, 0, 0, BaseQuant.None, false, "--lora-alpha")]
    [InlineData(8, 8, 1, BaseQuant.None, false, "--lora-dropout")]
    [InlineData(8, 8, 0, BaseQuant.Int8, true, "--double-quant")]
    public void Bad_settings_name_the_option(int r, double alpha, double dropout, BaseQuant quant, bool dq, string option)
    {
        var e = Assert.Throws<PlannerInputException>(() => new AdapterSetup(PeftMethod.Lora, r, alpha, dropout, null, quant, dq).Validate());
        Assert.Contains(option, e.Message);
    }
}
