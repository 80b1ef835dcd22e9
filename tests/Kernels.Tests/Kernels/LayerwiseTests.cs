using GaLore.Kernels.Layerwise;
using GaLore.Kernels.Optimizers;
using GaLore.Planner.Optimizers;
using TorchSharp;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace GaLore.Kernels.Tests.Kernels;

[Collection("torch")]
public sealed class LayerwiseTests : TorchTestBase
{
    static readonly GaLoreSettings Settings = new(4, 2, 0.25, ProjectionType.Std);

    static ProjectedOptimizer Single(string cls, Parameter p, bool project) => OptimizerFactory.Create(cls, [p], project ? Settings : null, lr: 1e-2, weightDecay: 0.01);

    [Theory]
    [InlineData("GaLoreAdamW", 1, true)]
    [InlineData("GaLoreAdamW", 3, true)]
    [InlineData("GaLoreAdamW8bit", 3, true)]
    [InlineData("GaLoreAdafactor", 3, true)]
    [InlineData("AdamW", 3, false)]
    [InlineData("GaLoreAdamW", 3, false)]
    public void Layerwise_matches_a_step_after_backward_with_a_tied_weight(string cls, int steps, bool requiresGrad)
    {
        using var scope = NewDisposeScope();
        var a = new TinyModels.Tied(dim: 24, hidden: 40, batch: 16, seed: 7);
        var b = a.CloneWeights();
        bool galore = OptimizerFactory.IsGaLore(cls);
        using var whole = galore
            ? (ProjectedOptimizer)OptimizerFactory.Create(cls, [a.E], Settings, lr: 1e-2, weightDecay: 0.01)
            : OptimizerFactory.Create(cls, a.Parameters, null, lr: 1e-2, weightDecay: 0.01);
        if (galore) whole.add_param_group(new TorchSharp.Modules.ParamGroup { Parameters = [a.Gain], Options = NewOptions(whole) });
        using var updater = new LayerwiseUpdater(b.Parameters, p => Single(cls, p, galore && ReferenceEquals(p, b.E)));
        if (!requiresGrad) foreach (var p in b.Parameters) p.requires_grad_(false);

        for (int step = 0; step < steps; step++)
        {
            using (var inner = NewDisposeScope())
            {
                var loss = a.Loss(p => p);
                loss.backward();
                whole.step();
                whole.zero_grad(set_to_none: true);
            }
            using (var inner = NewDisposeScope())
            {
                var loss = b.Loss(updater.Tap);
                Assert.True(loss.requires_grad);
                loss.backward();
                updater.step();
            }
            Assert.True(b.E.grad is null, "the tapped weight's gradient must never reach .grad");
            Assert.True(MaxDiff(a.E, b.E) <= 1e-6, $"E differs by {MaxDiff(a.E, b.E):G3} after step {step + 1}");
            Assert.True(MaxDiff(a.Gain, b.Gain) <= 1e-6, $"gain differs by {MaxDiff(a.Gain, b.Gain):G3} after step {step + 1}");
        }
        Assert.Equal(2 * steps, updater.UpdateCount);
        if (galore)
            Assert.Equal(steps > 2 ? 2 : 1, updater.OptimizerOf(b.E).StateOf(b.E).Projector!.RefreshCount);
        Assert.True(LayerwiseTap.OutputCache.Supported, "the tap's weight-sized output cache should be released");
    }

    static TorchSharp.Modules.OptimizerOptions NewOptions(ProjectedOptimizer o) =>
        o is GaLoreAdafactor ? new AdafactorOptions() : new AdamWOptions();

    [Fact]
    public void Tap_without_grad_mode_is_a_plain_alias()
    {
        using var scope = NewDisposeScope();
        var w = Param(1, ScalarType.Float32, 4, 3);
        using var updater = new LayerwiseUpdater([w], p => new AdamW([p]));
        using (no_grad())
        {
            var t = updater.Tap(w);
            Assert.False(t.requires_grad);
            Assert.True(t.allclose(w));
        }
        Assert.Throws<ArgumentException>(() => updater.Tap(Param(2, ScalarType.Float32, 4, 3)));
    }

    [Fact]
    public void Errors_during_backward_surface_in_step()
    {
        using var scope = NewDisposeScope();
        var w = Param(1, ScalarType.Float32, 4, 3);
        using var updater = new LayerwiseUpdater([w], p => new ThrowingOptimizer(p));
        var x = Randn(3, ScalarType.Float32, 2, 3);
        var loss = x.mm(updater.Tap(w).t()).sum();
        loss.backward();
        Assert.Throws<InvalidOperationException>(() => updater.step());
        updater.step(); // reported once
    }

    [Fact]
    public void No_tensor_leaks_across_layerwise_steps()
    {
        using var scope = NewDisposeScope();
        var model = new TinyModels.Tied(dim: 24, hidden: 40, batch: 16, seed: 9);
        using var updater = new LayerwiseUpdater(model.Parameters, p => Single("GaLoreAdamW8bit", p, ReferenceEquals(p, model.E)));
        long live2 = 0;
        for (int step = 0; step < 10; step++)
        {
            using (var inner = NewDisposeScope())
            {
                var loss = model.Loss(updater.Tap);
                loss.backward();
                updater.step();
            }
            GC.Collect();
            GC.WaitForPendingFinalizers();
            if (step == 1) live2 = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        }
        Assert.Equal(live2, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    sealed class ThrowingOptimizer(Parameter p) : ProjectedOptimizer
    {
        public override void UpdateParameter(Tensor parameter, Tensor grad) => throw new InvalidOperationException("boom");
        public override ParameterState StateOf(Tensor parameter) => throw new NotSupportedException();
        public override IEnumerable<Parameter> parameters() => [p];
    }
}
