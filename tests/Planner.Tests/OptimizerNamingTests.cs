using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;

namespace GaLore.Planner.Tests;

public class OptimizerNamingTests
{
    [Fact]
    public void All_twelve_names_round_trip()
    {
        Assert.Equal(12, OptimizerSpec.Names.Count);
        foreach (var n in OptimizerSpec.Names) Assert.Equal(n, OptimizerSpec.Parse(n).Name);
        Assert.Equal(12, OptimizerSpec.Names.Select(OptimizerSpec.Parse).Distinct().Count());
    }

    [Theory]
    [InlineData("adamw_torch", "adamw", false, false)]
    [InlineData("adamw_bnb_8bit", "adamw_8bit", false, false)]
    [InlineData("GaLore-AdamW-8bit-Layerwise", "adamw_8bit", true, true)]
    [InlineData("galore_adamw_bnb_8bit_layerwise", "adamw_8bit", true, true)]
    [InlineData("galore_adafactor", "adafactor", true, false)]
    public void Aliases_and_spellings(string name, string family, bool galore, bool layerwise)
    {
        var spec = OptimizerSpec.Parse(name);
        Assert.Equal((family, galore, layerwise), (spec.Model.Id, spec.GaLore, spec.Layerwise));
    }

    [Fact]
    public void Every_name_maps_to_one_family_of_the_registry_and_back()
    {
        foreach (var spec in OptimizerCatalog.All)
        {
            Assert.Contains(spec.Model, OptimizerCatalog.Models);
            Assert.Same(spec, OptimizerCatalog.Find(spec.Model, spec.GaLore, spec.Layerwise));
        }
        Assert.Equal(OptimizerCatalog.Models.Count, OptimizerCatalog.Models.Select(m => m.Id).Distinct().Count());
    }

    [Fact]
    public void Unknown_names_list_the_valid_ones() =>
        Assert.Contains("galore_adamw_8bit", Assert.Throws<PlannerInputException>(() => OptimizerSpec.Parse("lion")).Message);

    [Fact]
    public void Optim_args_follow_hf_format_and_defaults()
    {
        var galore = OptimizerSpec.Parse("galore_adafactor");
        var (s, args) = OptimArgs.Parse("rank=64, update_proj_gap=500, scale=0.5, proj_type=reverse_std", galore);
        Assert.Equal(new GaLoreSettings(64, 500, 0.5, ProjectionType.ReverseStd), s);
        Assert.Null(args.Number(Planner.Optimizers.Families.AdafactorModel.Beta1));
        Assert.Equal(GaLoreSettings.Default, OptimArgs.Parse(null, galore).Settings);
        Assert.Equal(new GaLoreSettings(128, 200, 0.25, ProjectionType.Std), GaLoreSettings.Default);
        Assert.Equal(0.9, OptimArgs.Parse("beta1 = 0.9", galore).Args.Number(Planner.Optimizers.Families.AdafactorModel.Beta1));
    }

    [Theory]
    [InlineData("rank=abc", "not an integer")]
    [InlineData("rank=0", "rank must be positive")]
    [InlineData("update_proj_gap=-5", "update_proj_gap must be positive")]
    [InlineData("foo=1", "optim_args key 'foo'")]
    [InlineData("rank", "not key=value")]
    [InlineData("proj_type=diagonal", "unknown proj_type")]
    [InlineData("beta1=nan", "must be a number in [0, 1)")]
    [InlineData("beta1=-5", "must be a number in [0, 1)")]
    [InlineData("beta1=1", "must be a number in [0, 1)")]
    [InlineData("rank=1=2", "not key=value")]
    public void Bad_optim_args_are_input_errors(string text, string fragment) =>
        Assert.Contains(fragment, Assert.Throws<PlannerInputException>(() => OptimArgs.Parse(text, OptimizerSpec.Parse("galore_adafactor"))).Message);

    [Fact]
    public void A_key_the_optimizer_does_not_read_is_an_error_naming_what_it_reads()
    {
        var e = Assert.Throws<PlannerInputException>(() => OptimArgs.Parse("beta1=0.9", OptimizerSpec.Parse("galore_adamw")));
        Assert.Contains("not read by galore_adamw", e.Message);
        Assert.Contains("rank, update_proj_gap, scale, proj_type", e.Message);
    }
}

public class TargetModuleTests
{
    // Cases from transformers' check_target_module_exists semantics.
    [Theory]
    [InlineData("attn,mlp", "model.layers.0.self_attn.q_proj", true)]      // substring
    [InlineData("attn,mlp", "model.layers.3.mlp.down_proj", true)]
    [InlineData("attn,mlp", "lm_head", false)]
    [InlineData("q_proj,v_proj", "model.layers.1.self_attn.k_proj", false)]
    [InlineData("lm_head", "lm_head", true)]                                 // equality
    [InlineData(@"model\.layers\.[01]\..*", "model.layers.1.mlp.up_proj", true)] // list entry as a full regex
    [InlineData(@"model\.layers\.[01]\..*", "model.layers.12.mlp.up_proj", false)]
    [InlineData(@"regex:.*\.(q|v)_proj", "model.layers.5.self_attn.v_proj", true)] // string form: full match only
    [InlineData(@"regex:q_proj", "model.layers.5.self_attn.q_proj", false)]
    [InlineData("all-linear", "lm_head", true)]
    [InlineData("all_linear", "model.layers.0.mlp.gate_proj", true)]
    public void Hf_matching(string spec, string module, bool expected) =>
        Assert.Equal(expected, TargetModules.Parse(spec).Matches(module));

    [Fact]
    public void Only_linear_weights_are_selected()
    {
        var table = ParameterTable.Build(ModelPresets.Find("qwen2.5-7b")! with { NumLayers = 1 });
        var setup = OptimizerSetup.FromName("galore_adamw", targets: TargetModules.Parse("all-linear"));
        var mask = setup.SelectGaLore(table);
        var selected = table.Where((_, k) => mask[k]).Select(t => t.Name).ToList();
        Assert.Contains("lm_head.weight", selected);
        Assert.DoesNotContain("model.embed_tokens.weight", selected);
        Assert.DoesNotContain(selected, n => n.EndsWith(".bias") || n.Contains("norm"));
        Assert.Equal(8, selected.Count); // 7 projections + lm_head
    }

    [Fact]
    public void A_selection_matching_nothing_and_a_rank_too_large_are_input_errors()
    {
        var table = ParameterTable.Build(ModelPresets.Find("tiny")!);
        Assert.Contains("match no Linear module",
            Assert.Throws<PlannerInputException>(() => OptimizerSetup.FromName("galore_adamw", targets: TargetModules.Parse("nothing_here")).SelectGaLore(table)).Message);
        // tiny's k_proj is 32×64: rank 33 exceeds its smaller side.
        var e = Assert.Throws<PlannerInputException>(() => OptimizerSetup.FromName("galore_adamw", GaLoreSettings.Default with { Rank = 33 }).SelectGaLore(table));
        Assert.Contains("k_proj", e.Message);
        Assert.Contains("--rank 32", e.Message);
        Assert.All(OptimizerSetup.FromName("adamw").SelectGaLore(table), Assert.False);
    }
}
