using GaLore.Kernels.Quantization;
using GaLore.Planner.Adapters;
using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Profiler.Model;
using GaLore.Profiler.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GaLore.Profiler.Tests.Model;

/// <summary>The TorchSharp model under peft: built from the planner's adapted layout, only adapters train, LoRA and DoRA
/// start as the base model (B = 0, m = ‖W‖), checkpointing changes no adapter gradient, and a 4-bit base runs
/// forward and backward as its dequantized weight.</summary>
[Collection("torch")]
public sealed class PeftModelTests
{
    static ModelOptions Options(AdapterSetup a, string dtype = "fp32", bool checkpointing = false) =>
        new() { Adapters = a, Precision = Precision.Parse(dtype), Checkpointing = checkpointing };

    [Fact]
    public void Parameters_follow_the_adapted_layout_and_only_adapters_require_grad()
    {
        var a = new AdapterSetup(PeftMethod.Dora, 4, Quant: BaseQuant.Nf4, DoubleQuant: true);
        using var model = CausalLm.Create(TestModels.Tiny, Options(a, "bf16"));
        var layout = AdapterTransform.Apply(TestModels.Tiny.Layout(), a);
        Assert.Equal(layout.Layout.Parameters.Select(t => t.Name), model.NamedParameters.Select(p => p.Name));
        for (int k = 0; k < layout.Layout.Parameters.Count; k++)
        {
            var p = model.NamedParameters[k];
            Assert.Equal(layout.IsTrainable(k), p.Trainable);
            Assert.Equal(layout.IsTrainable(k), p.Tensor.requires_grad);
            if (p.Trainable) Assert.Equal(ScalarType.Float32, p.Tensor.dtype);
            else if (layout.QuantOf(k) != BaseQuant.None)
            {
                Assert.Equal(ScalarType.Byte, p.Tensor.dtype);                           // packed 4-bit codes
                Assert.Equal((p.Table.Elements + 1) / 2, p.Tensor.numel());
            }
            else Assert.Equal(ScalarType.BFloat16, p.Tensor.dtype);
        }
    }

    [Theory]
    [InlineData("q_proj,v_proj")]
    [InlineData("all-linear")]
    public void Lora_and_dora_start_as_the_same_model_and_only_adapters_get_gradients(string targets)
    {
        var lora = new AdapterSetup(PeftMethod.Lora, 4, 8, Targets: PeftTargets.Parse(targets));
        using var ids = TestModels.Ids(TestModels.Tiny, 2, 16);
        using var l = CausalLm.Create(TestModels.Tiny, Options(lora));
        using var d = CausalLm.Create(TestModels.Tiny, Options(lora with { Method = PeftMethod.Dora }));
        float lossL = TestModels.LossAndBackward(l, ids);
        float lossD = TestModels.LossAndBackward(d, ids);
        Assert.Equal(lossL, lossD, 5);                          // B = 0 and m = ‖W‖: both compute W·x
        foreach (var p in d.NamedParameters)
        {
            using var g = p.Tensor.grad;
            if (!p.Trainable) { Assert.Null(g); continue; }
            Assert.NotNull(g);
            // lora_A's gradient is Bᵀ-weighted: zero while B = 0; lora_B's and the magnitude's are not.
            if (p.Name.Contains("lora_A")) Assert.Equal(0.0, g!.abs().max().item<float>());
            else Assert.True(g!.abs().max().item<float>() > 0, p.Name);
        }
    }

    [Fact]
    public void Checkpointing_changes_no_adapter_gradient()
    {
        var a = new AdapterSetup(PeftMethod.Lora, 4, 8, Targets: PeftTargets.Parse("all-linear"));
        using var ids = TestModels.Ids(TestModels.Tiny, 2, 12);
        using var plain = CausalLm.Create(TestModels.Tiny, Options(a));
        using var ck = CausalLm.Create(TestModels.Tiny, Options(a, checkpointing: true));
        // A non-zero B so that every adapter tensor gets a gradient, the first block's included.
        foreach (var m in new[] { plain, ck })
            using (torch.no_grad())
                foreach (var p in m.NamedParameters.Where(p => p.Name.Contains("lora_B"))) p.Tensor.fill_(0.01);
        Assert.Equal(TestModels.LossAndBackward(plain, ids), TestModels.LossAndBackward(ck, ids), 5);
        for (int k = 0; k < plain.NamedParameters.Count; k++)
        {
            if (!plain.NamedParameters[k].Trainable) continue;
            using var g1 = plain.NamedParameters[k].Tensor.grad!;
            using var g2 = ck.NamedParameters[k].Tensor.grad!;
            Assert.True(g1.allclose(g2, rtol: 1e-4, atol: 1e-7), plain.NamedParameters[k].Name);
            Assert.True(g1.abs().max().item<float>() > 0, plain.NamedParameters[k].Name);
        }
    }

    [Theory]
    [InlineData(false, ScalarType.Float32)]
    [InlineData(true, ScalarType.BFloat16)]
    public void A_4_bit_linear_computes_with_its_dequantized_weight_in_forward_and_backward(bool doubleQuant, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(5);
        var w = torch.randn([96, 80], generator: g).mul_(0.05).to(dtype);
        using var q = FourBitQuantizer.Quantize(w, BaseQuant.Nf4, doubleQuant);
        var dense = FourBitQuantizer.Dequantize(q, dtype);
        var x = torch.randn([3, 5, 80], generator: g).to(dtype).requires_grad_(true);
        var x2 = x.detach().clone().requires_grad_(true);
        var y = FourBitLinearFunction.Apply(x, q, null);
        var y2 = nn.functional.linear(x2, dense);
        Assert.True(y.allclose(y2, rtol: 1e-2, atol: 1e-3));
        using var upstream = torch.randn(y.shape, generator: g).to(dtype);
        y.backward([upstream]);
        y2.backward([upstream]);
        GradientHandoff.Flush();
        using var dx = x.grad!;
        using var dx2 = x2.grad!;
        Assert.True(dx.allclose(dx2, rtol: 1e-2, atol: 1e-3));
    }

    [Fact]
    public void Qlora_trains_its_adapters_on_an_nf4_base()
    {
        var a = new AdapterSetup(PeftMethod.Lora, 8, 16, Targets: PeftTargets.Parse("all-linear"), Quant: BaseQuant.Nf4, DoubleQuant: true);
        using var model = CausalLm.Create(TestModels.Tiny, Options(a, "bf16"));
        using var ids = TestModels.Ids(TestModels.Tiny, 4, 32);
        var trainable = model.NamedParameters.Where(p => p.Trainable).ToList();
        var sgd = new PlainSgd(trainable, lr: 1.0);
        var losses = new List<float>();
        for (int step = 0; step < 6; step++)
        {
            losses.Add(TestModels.LossAndBackward(model, ids));
            sgd.Step();
            sgd.ZeroGrad();
        }
        Assert.InRange(losses[0], 5.9f, 6.6f);                  // ≈ ln(512) at initialisation
        Assert.True(losses[^1] < losses[0] - 0.02f, string.Join(", ", losses));
        Assert.Equal(0, GradientHandoff.PendingCount);
    }

    [Fact]
    public void An_int8_base_is_planned_but_not_trained_here()
    {
        var e = Assert.Throws<NotSupportedException>(() => CausalLm.Create(TestModels.Tiny, Options(new AdapterSetup(PeftMethod.Lora, Quant: BaseQuant.Int8))));
        Assert.Contains("int8", e.Message);
    }
}
