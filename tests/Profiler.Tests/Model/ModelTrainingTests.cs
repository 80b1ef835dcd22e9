using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models;
using GaLore.Profiler.Model;
using GaLore.Profiler.Model.Parts;
using GaLore.Profiler.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Profiler.Tests.Model;

/// <summary>Forward and backward work in every precision and attention mode, learn, and checkpointing changes
/// no gradient.</summary>
[Collection("torch")]
public sealed class ModelTrainingTests
{
    [Fact]
    public void Loss_falls_with_plain_sgd_on_the_tiny_preset()
    {
        using var model = CausalLm.Create(TestModels.Tiny);
        using var ids = TestModels.Ids(TestModels.Tiny, 4, 32);
        var sgd = new PlainSgd(model.NamedParameters, lr: 0.5);
        var losses = new List<float>();
        for (int step = 0; step < 8; step++)
        {
            losses.Add(TestModels.LossAndBackward(model, ids));
            sgd.Step();
            sgd.ZeroGrad();
        }
        Assert.InRange(losses[0], 5.9f, 6.6f);               // ≈ ln(512) at initialisation
        Assert.True(losses[^1] < losses[0] - 0.5f, string.Join(", ", losses));
        Assert.Equal(0, GradientHandoff.PendingCount);
    }

    [Theory]
    [InlineData(AttentionKind.Sdpa, false)]
    [InlineData(AttentionKind.Math, false)]
    [InlineData(AttentionKind.Sdpa, true)]
    public void Checkpointed_gradients_equal_plain_ones(AttentionKind attention, bool tied)
    {
        var config = tied ? TestModels.Tied : TestModels.GqaWithBiases;
        using var ids = TestModels.Ids(config, 2, 12);
        using var plain = CausalLm.Create(config, new ModelOptions { Attention = attention });
        using var ck = CausalLm.Create(config, new ModelOptions { Attention = attention, Checkpointing = true });
        float l1 = TestModels.LossAndBackward(plain, ids);
        float l2 = TestModels.LossAndBackward(ck, ids);
        Assert.Equal(l1, l2, 5);
        var g1 = TestModels.Grads(plain);
        var g2 = TestModels.Grads(ck);
        foreach (var (name, grad) in g1)
            Assert.True(grad.allclose(g2[name], rtol: 1e-4, atol: 1e-6), $"{name} differs under checkpointing");
        foreach (var t in g1.Values.Concat(g2.Values)) t.Dispose();
    }

    [Fact]
    public void Math_and_sdpa_attention_agree_in_float32()
    {
        var config = TestModels.GqaWithBiases;
        using var ids = TestModels.Ids(config, 2, 16);
        using var sdpa = CausalLm.Create(config);
        using var math = CausalLm.Create(config, new ModelOptions { Attention = AttentionKind.Math });
        Assert.Equal(TestModels.LossAndBackward(sdpa, ids), TestModels.LossAndBackward(math, ids), 4);
    }

    [Theory]
    [InlineData("fp32", ScalarType.Float32, ScalarType.Float32)]
    [InlineData("bf16", ScalarType.BFloat16, ScalarType.BFloat16)]
    [InlineData("mixed", ScalarType.Float32, ScalarType.Float32)]
    public void Every_precision_trains(string precision, ScalarType weights, ScalarType grads)
    {
        foreach (var attention in new[] { AttentionKind.Sdpa, AttentionKind.Math })
        foreach (bool checkpointing in new[] { false, true })
        {
            using var model = CausalLm.Create(TestModels.Tiny,
                new ModelOptions { Precision = Precision.Parse(precision), Attention = attention, Checkpointing = checkpointing });
            using var ids = TestModels.Ids(TestModels.Tiny, 2, 16);
            float loss = TestModels.LossAndBackward(model, ids);
            Assert.True(float.IsFinite(loss) && loss > 5 && loss < 7, $"{precision} {attention} ck={checkpointing}: loss {loss}");
            foreach (var p in model.NamedParameters)
            {
                Assert.Equal(weights, p.Tensor.dtype);
                using var g = p.Tensor.grad;
                Assert.NotNull(g);
                Assert.Equal(grads, g!.dtype);
            }
            model.ZeroGradToNone();
        }
    }

    [Fact]
    public void Repeat_kv_copies_each_key_value_head_to_its_query_group()
    {
        using var scope = torch.NewDisposeScope();
        var kv = torch.arange(2 * 2 * 3 * 4, ScalarType.Float32).view(2, 2, 3, 4);   // (B, kv, T, d)
        var repeated = Attention.RepeatKv(kv, 3);                                       // (B, 6, T, d)
        Assert.Equal([2L, 6, 3, 4], repeated.shape);
        for (int h = 0; h < 6; h++)
            Assert.True(TensorAssert.Same(repeated.narrow(1, h, 1), kv.narrow(1, h / 3, 1)));
    }

    [Fact]
    public void Shifted_targets_ignore_the_last_position()
    {
        using var ids = torch.tensor(new long[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        using var targets = CausalLm.ShiftedTargets(ids);
        Assert.Equal(new long[] { 2, 3, -100, 5, 6, -100 }, targets.data<long>().ToArray());
    }
}
