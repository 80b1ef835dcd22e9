using GaLore.Kernels.Factory;
using GaLore.Kernels.Optimizers;
using GaLore.Planner;
using GaLore.Planner.Optimizers;
using static TorchSharp.torch;

namespace GaLore.Kernels.Tests.Kernels;

[Collection("torch")]
public sealed class HfOptimizerFactoryTests : TorchTestBase
{
    static IReadOnlyList<NamedParameter> Named(TinyModels.Mlp m) =>
    [
        NamedParameter.Loose("model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.up_proj", m.W1, isLinear: true),
        NamedParameter.Loose("model.layers.0.mlp.down_proj.weight", "model.layers.0.mlp.down_proj", m.W2, isLinear: true),
        NamedParameter.Loose("model.norm.weight", "model.norm", m.Gain, isLinear: false),
    ];

    const string Args = "rank=8, update_proj_gap=2, scale=0.25, proj_type=std";

    /// <summary>GaLore's knobs for GaLore names; names without projection read none of them (an error to pass).</summary>
    static string? ArgsFor(string name) => OptimizerSpec.Parse(name).GaLore ? Args : null;

    public static TheoryData<string> BaseNames() => new(OptimizerSpec.Names.Where(n => !n.EndsWith("_layerwise", StringComparison.Ordinal)));

    /// <summary>Every name builds, and its layerwise twin gives the same weights after 3 steps (a refresh at step 2).</summary>
    [Theory]
    [MemberData(nameof(BaseNames))]
    public void Every_name_builds_and_layerwise_matches_its_twin(string name)
    {
        using var scope = NewDisposeScope();
        var a = new TinyModels.Mlp(32, 24, 16, 64, seed: 3);
        var b = new TinyModels.Mlp(32, 24, 16, 64, seed: 3);
        using var whole = HfOptimizerFactory.Create(name, Named(a), 1e-2, optimArgs: ArgsFor(name));
        using var layerwise = HfOptimizerFactory.Create(name + "_layerwise", Named(b), 1e-2, optimArgs: ArgsFor(name));
        Assert.False(whole.IsLayerwise);
        Assert.True(layerwise.IsLayerwise);
        Assert.Equal(name, whole.Spec.Name);
        bool galore = name.StartsWith("galore_", StringComparison.Ordinal);
        Assert.Equal(galore ? ["model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.down_proj.weight"] : [], whole.GaLoreParameterNames);

        for (int step = 0; step < 3; step++)
        {
            foreach (var (opt, model) in new[] { (whole, a), (layerwise, b) })
            {
                using var inner = NewDisposeScope();
                var loss = model.Loss(opt.Tap);
                loss.backward();
                opt.step();
                opt.zero_grad();
            }
            foreach (var (p, q) in a.Parameters.Zip(b.Parameters))
                Assert.True(MaxDiff(p, q) <= 1e-6, $"{name}: step {step + 1} differs by {MaxDiff(p, q):G3}");
        }
        Assert.Equal(9, whole.UpdateCount);
        Assert.Equal(9, layerwise.UpdateCount);
        Assert.Equal(galore, whole.StateOf(a.W1).Projector is not null);
        Assert.Null(whole.StateOf(a.Gain).Projector);
    }

    [Fact]
    public void Huggingface_defaults_per_name()
    {
        using var scope = NewDisposeScope();
        var m = new TinyModels.Mlp(32, 24, 16, 8, seed: 4);
        (double Eps, double Wd) Adam(string name)
        {
            using var o = HfOptimizerFactory.Create(name, Named(m), 1e-3, optimArgs: ArgsFor(name));
            var d = Assert.IsAssignableFrom<ProjectedOptimizer<AdamWOptions>>(o.Optimizer).Defaults;
            Assert.Equal(1e-3, d.LearningRate);
            Assert.Equal((0.9, 0.999), (d.beta1!.Value, d.beta2!.Value));
            return (d.eps!.Value, d.weight_decay!.Value);
        }
        Assert.Equal((1e-8, 0.0), Adam("adamw"));
        Assert.Equal((1e-8, 0.0), Adam("adamw_8bit"));
        Assert.Equal((1e-6, 0.0), Adam("galore_adamw"));
        Assert.Equal((1e-8, 0.01), Adam("galore_adamw_8bit"));

        foreach (var name in new[] { "adafactor", "galore_adafactor" })
        {
            using var o = HfOptimizerFactory.Create(name, Named(m), 1e-3, optimArgs: ArgsFor(name));
            var d = Assert.IsAssignableFrom<ProjectedOptimizer<AdafactorOptions>>(o.Optimizer).Defaults;
            Assert.Equal((1e-30, 1e-3, 1.0, -0.8, 0.0), (d.eps1!.Value, d.eps2!.Value, d.clip_threshold!.Value, d.decay_rate!.Value, d.weight_decay!.Value));
            Assert.False(d.scale_parameter);
            Assert.True(double.IsNaN(d.beta1!.Value));
        }
        using var eightBit = HfOptimizerFactory.Create("galore_adamw_8bit", Named(m), 1e-3, optimArgs: Args);
        Assert.IsType<GaLoreAdamW8bit>(eightBit.Optimizer);
        using var alias = HfOptimizerFactory.Create("adamw_torch", Named(m), 1e-3);
        Assert.IsType<AdamW>(alias.Optimizer);
    }

    [Fact]
    public void Optim_args_beta_1_gives_adafactor_a_first_moment()
    {
        using var scope = NewDisposeScope();
        var m = new TinyModels.Mlp(32, 24, 16, 8, seed: 5);
        using var o = HfOptimizerFactory.Create("galore_adafactor", Named(m), 1e-3, optimArgs: Args + ", beta1=0.9");
        using var inner = NewDisposeScope();
        m.Loss(o.Tap).backward();
        o.step();
        Assert.Contains(o.StateOf(m.W1).Tensors, t => t.Name == "exp_avg");
        Assert.Contains(o.StateOf(m.Gain).Tensors, t => t.Name == "exp_avg");
    }

    [Fact]
    public void Rejects_unknown_names_unmatched_targets_and_too_large_ranks()
    {
        using var scope = NewDisposeScope();
        var m = new TinyModels.Mlp(32, 24, 16, 8, seed: 6);
        Assert.Throws<PlannerInputException>(() => HfOptimizerFactory.Create("sgdw", Named(m), 1e-3));
        Assert.Throws<PlannerInputException>(() => HfOptimizerFactory.Create("adamw", Named(m), 1e-3, optimArgs: "rank=8"));   // not read by adamw
        Assert.Throws<NotSupportedException>(() => HfOptimizerFactory.Create("paged_adamw_8bit", Named(m), 1e-3));          // planned, no kernel
        Assert.Throws<PlannerInputException>(() => HfOptimizerFactory.Create("galore_adamw", Named(m), 1e-3, TargetModules.Parse("attn"), Args));
        Assert.Throws<PlannerInputException>(() => HfOptimizerFactory.Create("galore_adamw", Named(m), 1e-3, optimArgs: "rank=64"));
        Assert.Throws<PlannerInputException>(() => HfOptimizerFactory.Create("galore_adamw", Named(m), 1e-3, optimArgs: "rank"));
        Assert.Throws<ArgumentException>(() => HfOptimizerFactory.Create("adamw", [], 1e-3));
        // all-linear selects both Linear weights; the norm is never projected.
        using var all = HfOptimizerFactory.Create("galore_adamw", Named(m), 1e-3, TargetModules.Parse("all-linear"), Args);
        Assert.Equal(2, all.GaLoreParameterNames.Count);
    }
}
