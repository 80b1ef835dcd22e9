using GaLore.Planner.Models;
using GaLore.Profiler.Model;
using GaLore.Profiler.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Profiler.Tests.Model;

/// <summary>
/// A fake layerwise tap, built the way GaLore.Kernels' LayerwiseUpdater is (a custom function whose output is the
/// weight and whose backward receives dL/dW; a 0-d anchor that requires grad makes the node executable while the
/// weight does not), records what it receives.
/// </summary>
sealed class RecordingTap : torch.autograd.SingleTensorFunction<RecordingTap>
{
    public sealed record Recorder(Tensor Parameter, List<(Tensor Parameter, long[] GradShape)> Log);

    public override string Name => "RecordingTap";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        ctx.save_data("r", vars[2]);
        return ((Tensor)vars[0]).alias();
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad)
    {
        var r = (Recorder)ctx.get_data("r");
        lock (r.Log) r.Log.Add((r.Parameter, grad.shape));
        grad.Dispose();
        return [null!, null!, null!];
    }
}

[Collection("torch")]
public sealed class ParameterTapTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Every_parameter_gets_one_gradient_per_step(bool tied, bool checkpointing)
    {
        var config = tied ? TestModels.Tied : TestModels.GqaWithBiases;
        using var model = CausalLm.Create(config, new ModelOptions { Checkpointing = checkpointing });
        using var anchor = torch.zeros([], ScalarType.Float32).requires_grad_(true);
        var log = new List<(Tensor Parameter, long[] GradShape)>();
        var taps = new List<Tensor>();
        model.ParameterTap = p =>
        {
            lock (taps) taps.Add(p);
            return RecordingTap.apply(p, anchor, new RecordingTap.Recorder(p, log));
        };
        model.FreezeForTap();
        using var ids = TestModels.Ids(config, 2, 10);

        for (int step = 0; step < 2; step++)
        {
            log.Clear();
            TestModels.LossAndBackward(model, ids);
            Assert.Equal(model.NamedParameters.Count, log.Count);
            foreach (var p in model.NamedParameters)
            {
                var hits = log.Where(e => ReferenceEquals(e.Parameter, p.Tensor)).ToList();
                Assert.True(hits.Count == 1, $"{p.Name}: {hits.Count} gradients");
                Assert.Equal(p.Tensor.shape, hits[0].GradShape);
                Assert.Null(p.Tensor.grad);
            }
        }
        // Checkpointing taps block parameters only in the recomputation (the no_grad forward does not call the tap).
        Assert.Equal(2 * model.NamedParameters.Count, taps.Count);
    }

    [Fact]
    public void Without_grad_mode_the_tap_is_not_called()
    {
        using var model = CausalLm.Create(TestModels.Tiny);
        int calls = 0;
        model.ParameterTap = p => { calls++; return p.alias(); };
        using var ids = TestModels.Ids(TestModels.Tiny, 1, 8);
        using (torch.no_grad())
        using (var targets = CausalLm.ShiftedTargets(ids))
        using (var loss = model.forward(ids, targets))
            Assert.True(float.IsFinite(loss.item<float>()));
        Assert.Equal(0, calls);
    }
}
