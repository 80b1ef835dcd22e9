using GaLore.Kernels.Optimizers;
using GaLore.Planner.Optimizers;
using static TorchSharp.torch;

namespace GaLore.Kernels.Tests.Kernels;

[Collection("torch")]
public sealed class TrainingTests : TorchTestBase
{
    /// <summary>
    /// 8-bit GaLore tracks 32-bit GaLore on a seeded regression (W1 is 64×128 at rank 32, so its R has 4096 elements
    /// and quantized states; W2's R stays under 4096 and keeps float32 states).
    /// </summary>
    [Fact]
    public void Eight_bit_galore_reaches_the_loss_of_32_bit_galore()
    {
        var settings = new GaLoreSettings(32, 50, 1.0, ProjectionType.Std);
        double Train(bool eightBit)
        {
            using var scope = NewDisposeScope();
            var model = new TinyModels.Mlp(128, 64, 32, 1024, seed: 42, noiseLevel: 0.3);
            using ProjectedOptimizer opt = eightBit
                ? new GaLoreAdamW8bit([model.Gain], [model.W1, model.W2], settings, lr: 3e-3, weight_decay: 0)
                : new GaLoreAdamW([model.Gain], [model.W1, model.W2], settings, lr: 3e-3, eps: 1e-8);
            double first = 0, last = 0;
            for (int step = 0; step < 300; step++)
            {
                using var inner = NewDisposeScope();
                var loss = model.Loss(p => p);
                loss.backward();
                opt.step();
                opt.zero_grad(set_to_none: true);
                last = loss.item<float>();
                if (step == 0) first = last;
                Assert.False(double.IsNaN(last), $"NaN loss at step {step}");
            }
            if (eightBit)
                Assert.Equal(ScalarType.Byte, opt.StateOf(model.W1).Tensors.Single(t => t.Name == "state1").Tensor.dtype);
            Assert.True(last < first * 0.5, $"loss did not fall: {first} → {last}");
            return last;
        }
        double full = Train(false), quantized = Train(true);
        Assert.True(Math.Abs(quantized - full) <= 0.03 * full, $"8-bit loss {quantized:G4} vs 32-bit {full:G4}");
    }
}
