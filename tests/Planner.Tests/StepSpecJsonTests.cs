using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Parallel;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Tests;

/// <summary>A step survives the trip to the profile worker whole: every setting, non-default everywhere.</summary>
public class StepSpecJsonTests
{
    [Fact]
    public void A_step_with_every_setting_changed_round_trips_equal()
    {
        var setup = OptimizerSetup.FromOptimArgs("galore_adafactor", "rank=8, update_proj_gap=300, scale=0.5, proj_type=reverse_std, beta1=0.9",
            TargetModules.Parse(@"regex:.*\.(q|v)_proj"));
        var step = new StepSpec(ModelPresets.Find("tiny")! with { TieWordEmbeddings = true }, setup, Precision.Parse("mixed"), true,
            AttentionKind.Math, RuntimeProfile.TorchSharpKernels, RefreshStep: false)
        {
            Parallel = new Parallelism(8, Strategies.Parse("ddp"), OffloadMode.None, GradAccum: 4),
        };
        string json = StepSpecJson.Serialize(step);
        var back = StepSpecJson.Deserialize(json);
        Assert.Equal(step, back);
        Assert.Equal(json, StepSpecJson.Serialize(back));
        Assert.Contains("\"strategy\":\"ddp\"", json);
        Assert.Contains("\"beta1\":\"0.9\"", json);
    }

    [Fact]
    public void Unknown_names_in_a_step_are_errors_naming_them()
    {
        string json = StepSpecJson.Serialize(new StepSpec(ModelPresets.Find("tiny")!, OptimizerSetup.FromName("adamw"), Precision.Parse("bf16")));
        var e = Assert.Throws<System.Text.Json.JsonException>(() => StepSpecJson.Deserialize(json.Replace("\"adamw\"", "\"nonsense\"")));
        Assert.Contains("nonsense", e.Message);
    }
}
