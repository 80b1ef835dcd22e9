using GaLore.Planner.Optimizers;

namespace GaLore.Planner.Tests.Optimizers;

/// <summary>Every Hugging Face <c>OptimizerNames</c> value resolves to one catalogue entry with one family.</summary>
public class OptimizerCatalogTests
{
    public static TheoryData<string> HfNames() => new(OptimizerCatalog.HuggingFaceNames);

    [Fact]
    public void The_catalogue_has_hugging_faces_42_names()
    {
        Assert.Equal(42, OptimizerCatalog.HuggingFaceNames.Count);
        Assert.Equal(42, OptimizerCatalog.HuggingFaceNames.Distinct().Count());
        // Two pairs of HF names name the same optimizer: adamw_bnb_8bit ≡ adamw_8bit, rmsprop_bnb ≡ rmsprop_bnb_32bit.
        Assert.Equal(40, OptimizerCatalog.HuggingFaceNames.Select(OptimizerSpec.Parse).Distinct().Count());
        Assert.Equal(OptimizerCatalog.AdamWFused, OptimizerSpec.Parse(OptimizerCatalog.HuggingFaceDefault).Model);
    }

    [Theory]
    [MemberData(nameof(HfNames))]
    public void Every_hf_name_maps_to_one_entry_whose_hf_spelling_is_an_hf_name(string name)
    {
        var spec = OptimizerSpec.Parse(name);
        Assert.NotNull(spec.HfName);
        Assert.Contains(spec.HfName, OptimizerCatalog.HuggingFaceNames);
        Assert.Contains(spec.Model, OptimizerCatalog.Models);
        Assert.Same(spec, OptimizerSpec.Parse(spec.Name));
        Assert.Same(spec, OptimizerSpec.Parse(spec.HfName!));
    }

    [Fact]
    public void Every_entry_round_trips_and_only_the_three_project_baselines_are_not_hfs()
    {
        foreach (var s in OptimizerCatalog.All) Assert.Same(s, OptimizerSpec.Parse(s.Name));
        Assert.Equal(OptimizerCatalog.All.Count, OptimizerCatalog.Names.Distinct().Count());
        Assert.Equal(["adamw_layerwise", "adafactor_layerwise", "adamw_8bit_layerwise"],
            OptimizerCatalog.All.Where(s => s.HfName is null).Select(s => s.Name));
        Assert.Equal(43, OptimizerCatalog.All.Count);   // 40 HF optimizers + 3 project baselines
        Assert.Equal(OptimizerCatalog.Models.Count, OptimizerCatalog.Models.Select(m => m.Id).Distinct().Count());
    }

    [Fact]
    public void The_twelve_core_names_keep_their_order()
    {
        Assert.Equal(["adamw", "adamw_8bit", "adafactor", "galore_adamw", "galore_adamw_8bit", "galore_adafactor",
            "adamw_layerwise", "adamw_8bit_layerwise", "adafactor_layerwise", "galore_adamw_layerwise", "galore_adamw_8bit_layerwise",
            "galore_adafactor_layerwise"], OptimizerSpec.Names);
    }

    [Theory]
    [InlineData("adamw_torch", "adamw")]
    [InlineData("adamw_bnb_8bit", "adamw_8bit")]
    [InlineData("rmsprop_bnb", "rmsprop_bnb_32bit")]
    [InlineData("ADAMW-TORCH-FUSED", "adamw_torch_fused")]
    [InlineData("galore_adamw_bnb_8bit_layerwise", "galore_adamw_8bit_layerwise")]
    public void Aliases_resolve(string alias, string canonical) => Assert.Equal(canonical, OptimizerSpec.Parse(alias).Name);

    [Theory]
    [InlineData("galore_adamw", LowRankMethod.GaLore, false, false)]
    [InlineData("apollo_adamw", LowRankMethod.Apollo, false, false)]
    [InlineData("apollo_adamw_layerwise", LowRankMethod.Apollo, true, false)]
    [InlineData("lomo", LowRankMethod.None, true, true)]
    [InlineData("adalomo", LowRankMethod.None, true, true)]
    [InlineData("sgd", LowRankMethod.None, false, false)]
    public void Projection_and_update_timing_per_name(string name, LowRankMethod lowRank, bool layerwise, bool fused)
    {
        var s = OptimizerSpec.Parse(name);
        Assert.Equal((lowRank, lowRank != LowRankMethod.None, layerwise, fused), (s.LowRank, s.GaLore, s.Layerwise, s.FusedBackward));
    }

    [Fact]
    public void Help_lists_every_name_and_alias_grouped_by_library_and_marks_the_project_baselines()
    {
        string help = OptimizerCatalog.GroupedHelp();
        foreach (var n in OptimizerCatalog.Names) Assert.Contains(n, help);
        foreach (var n in OptimizerCatalog.HuggingFaceNames) Assert.Contains(n, help);
        Assert.Contains("adamw_layerwise*", help);
        Assert.DoesNotContain("galore_adamw_layerwise*", help);
        Assert.Contains("\n  bitsandbytes: ", help);
        Assert.Contains("rmsprop_bnb_32bit (= rmsprop_bnb)", help);
    }

    [Fact]
    public void Unknown_names_are_one_line_errors_naming_the_choices()
    {
        var e = Assert.Throws<PlannerInputException>(() => OptimizerSpec.Parse("lion"));
        Assert.Contains("lion_8bit", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Theory]
    [InlineData("apollo_adamw", "rank=1, scale_type=tensor, scale=128, proj=random, update_proj_gap=200")]
    [InlineData("sgd", "momentum=0.9, nesterov=True, dampening=0")]
    [InlineData("adamw_anyprecision", "use_kahan_summation=true, momentum_dtype=bfloat16, variance_dtype=bfloat16")]
    [InlineData("adamw_torch_4bit", "block_size=128, bf16_stochastic_round=true")]
    [InlineData("ademamix", "beta3=0.999, alpha=8, t_alpha=1000")]
    [InlineData("stable_adamw", "kahan_sum=False, decouple_lr=True")]
    [InlineData("schedule_free_adamw", "weight_lr_power=1.5, r=0")]
    public void Each_name_reads_its_own_optim_args(string name, string args)
    {
        var spec = OptimizerSpec.Parse(name);
        var parsed = OptimArgs.Parse(args, spec);
        Assert.NotEmpty(parsed.Args.Values.Keys.Concat(spec.GaLore ? ["rank"] : []));
    }

    [Theory]
    [InlineData("adamw", "rank=64", "not read by adamw (it reads: none)")]
    [InlineData("lion_8bit", "betas=0.9", "not read by lion_8bit")]
    [InlineData("sgd", "momentum=-1", "momentum")]
    [InlineData("apollo_adamw", "scale_type=row", "scale_type")]
    [InlineData("adamw_anyprecision", "momentum_dtype=int8", "momentum_dtype")]
    public void Keys_a_name_does_not_read_or_bad_values_are_errors(string name, string args, string fragment) =>
        Assert.Contains(fragment, Assert.Throws<PlannerInputException>(() => OptimArgs.Parse(args, OptimizerSpec.Parse(name))).Message);

    [Fact]
    public void Apollo_defaults_follow_hf_and_apollo_mini_is_rank_one_tensor_scaling()
    {
        var apollo = OptimizerSetup.FromOptimArgs("apollo_adamw", null);
        Assert.Equal(new GaLoreSettings(128, 200, 1.0, ProjectionType.Std), apollo.GaLore);
        Assert.Equal("random", apollo.Knobs.Text(Planner.Optimizers.Families.ApolloModel.Proj));
        Assert.Equal("channel", apollo.Knobs.Text(Planner.Optimizers.Families.ApolloModel.ScaleType));
        var mini = OptimizerSetup.FromOptimArgs("apollo_adamw", "proj=random,rank=1,scale=128.0,scale_type=tensor,update_proj_gap=200");
        Assert.Equal(new GaLoreSettings(1, 200, 128, ProjectionType.Std), mini.GaLore);
        Assert.Equal(GaLoreSettings.Default, OptimizerSetup.FromOptimArgs("galore_adamw", null).GaLore);
    }

    [Theory]
    [InlineData("apollo_adamw", "proj_type=full", "no 'full' projection")]
    [InlineData("apollo_adamw", "proj_type=reverse_std", "channel-wise scaling needs proj_type std")]
    [InlineData("sgd", "nesterov=true", "Nesterov momentum requires a momentum")]
    public void Setups_the_reference_rejects_are_input_errors(string name, string args, string fragment)
    {
        var setup = OptimizerSetup.FromOptimArgs(name, args);
        var table = Models.ParameterTable.Build(Models.ModelPresets.Find("tiny")!);
        Assert.Contains(fragment, Assert.Throws<PlannerInputException>(() => setup.SelectGaLore(table)).Message);
    }

    [Fact]
    public void Apollo_tensor_scaling_accepts_any_one_sided_projection()
    {
        var table = Models.ParameterTable.Build(Models.ModelPresets.Find("tiny")!);
        foreach (var pt in new[] { "reverse_std", "left", "right" })
            Assert.Contains(true, OptimizerSetup.FromOptimArgs("apollo_adamw", $"rank=8,scale_type=tensor,proj_type={pt}").SelectGaLore(table));
    }
}
