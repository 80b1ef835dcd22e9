using GaLore.Planner;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using GaLore.Profiler.Tuning;

namespace GaLore.Profiler.Tests.Tuning;

/// <summary>The projected shapes tune times are the planner's: same weights, same counts.</summary>
public sealed class ShapeDiscoveryTests
{
    static readonly OptimizerSetup Galore = OptimizerSetup.FromName("galore_adamw_8bit_layerwise");

    [Fact]
    public void Llama_7_b_has_three_shapes_with_the_parameter_tables_counts()
    {
        var model = ModelPresets.Find("llama-7b")!;
        var shapes = ProjectedShapes.Of(model, Galore);

        Assert.Equal([(4096L, 4096L, 128), (11008L, 4096L, 64), (4096L, 11008L, 32)], shapes.Select(s => (s.Rows, s.Cols, s.Count)));
        Assert.Equal("model.layers.0.self_attn.q_proj.weight", shapes[0].Example);
        Assert.Equal("model.layers.0.mlp.gate_proj.weight", shapes[1].Example);
        Assert.Equal("model.layers.0.mlp.down_proj.weight", shapes[2].Example);
        // Every q/k/v/o (4 per block), gate/up (2) and down (1) of 32 blocks; the same elements the planner's selection counts.
        var table = ParameterTable.Build(model);
        var mask = Galore.SelectGaLore(table);
        Assert.Equal(table.Where((_, k) => mask[k]).Count(), shapes.Sum(s => s.Count));
        Assert.Equal(table.Where((_, k) => mask[k]).Sum(t => t.Elements), shapes.Sum(s => s.Count * s.Elements));
        Assert.Equal(32L * (4L * 4096 * 4096 + 3L * 4096 * 11008), shapes.Sum(s => s.Count * s.Elements));
        Assert.Equal(4096, ProjectedShapes.SmallestSide(shapes));
    }

    [Fact]
    public void Grouped_query_key_value_projections_are_their_own_shape_and_set_the_largest_rank()
    {
        var shapes = ProjectedShapes.Of(ModelPresets.Find("mistral-7b")!, Galore);
        Assert.Contains(shapes, s => s is { Rows: 1024, Cols: 4096, Count: 64 });   // k_proj and v_proj of 32 blocks
        Assert.Equal(1024, ProjectedShapes.SmallestSide(shapes));
        Assert.Equal(32, ProjectedShapes.SmallestSide(ProjectedShapes.Of(ModelPresets.Find("tiny")!, Galore)));
    }

    [Fact]
    public void Target_modules_decide_the_shapes()
    {
        var mlpOnly = Galore with { Targets = TargetModules.Parse("mlp") };
        var shapes = ProjectedShapes.Of(ModelPresets.Find("llama-7b")!, mlpOnly);
        Assert.Equal([(11008L, 4096L, 64), (4096L, 11008L, 32)], shapes.Select(s => (s.Rows, s.Cols, s.Count)));
    }

    [Fact]
    public void A_non_galore_optimizer_is_bad_input()
    {
        var e = Assert.Throws<PlannerInputException>(() => ProjectedShapes.Of(ModelPresets.Find("tiny")!, OptimizerSetup.FromName("adamw")));
        Assert.Contains("does not use GaLore", e.Message);
    }
}
