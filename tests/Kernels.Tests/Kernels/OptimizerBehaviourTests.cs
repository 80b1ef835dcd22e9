using GaLore.Kernels.Optimizers;
using GaLore.Planner.Optimizers;
using TorchSharp;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace GaLore.Kernels.Tests.Kernels;

[Collection("torch")]
public sealed class OptimizerBehaviourTests : TorchTestBase
{
    /// <summary>
    /// With rank = min(m, n) the projector is a square orthogonal matrix. Adam and Adafactor are element-wise, so they
    /// equal their unprojected selves only when the projector is a signed permutation: the first gradient (which
    /// sets the projector) is diagonal with decreasing entries, so its singular vectors are ± unit vectors. Later
    /// gradients are arbitrary and the projector is not refreshed, so every step must match.
    /// </summary>
    [Theory]
    [InlineData("GaLoreAdamW", 48, 16, 1e-5)]
    [InlineData("GaLoreAdamW", 16, 48, 1e-5)]
    [InlineData("GaLoreAdafactor", 48, 16, 1e-5)]
    [InlineData("GaLoreAdafactor", 16, 48, 1e-5)]
    [InlineData("GaLoreAdamW8bit", 256, 32, 0.1)]
    [InlineData("GaLoreAdamW8bit", 32, 256, 0.1)]
    [InlineData("GaLoreAdamW8bit", 1536, 768, 0.1)]  // R has 1 179 648 elements: two chunks of KernelBudget.QuantChunkElements
    public void Full_rank_galore_equals_the_base_optimizer(string cls, long m, long n, double tolerance)
    {
        using var scope = NewDisposeScope();
        var settings = new GaLoreSettings((int)Math.Min(m, n), 1000, 1.0, ProjectionType.Std);
        var projected = Param(1, ScalarType.Float32, m, n);
        var plain = Copy(projected);
        using var galore = OptimizerFactory.Create(cls, [projected], settings, lr: 1e-2, weightDecay: 0.1);
        using var baseline = OptimizerFactory.Create(cls, [plain], null, lr: 1e-2, weightDecay: 0.1);
        // The baseline is the same class with the weight in its regular group: nothing projects it.

        long k = Math.Min(m, n);
        var first = zeros(m, n);
        first.diagonal().copy_(linspace(2.0, 1.0, k));
        double totalUpdate = 0;
        for (int step = 0; step < 6; step++)
        {
            var g = step == 0 ? first : Randn(20 + step, ScalarType.Float32, m, n);
            SetGrad(projected, g);
            SetGrad(plain, g);
            var before = plain.detach().clone();
            galore.step();
            baseline.step();
            totalUpdate = Math.Max(totalUpdate, MaxDiff(plain, before));
            // 8-bit: the signed code is not exactly symmetric, so a sign-flipped moment can round differently;
            // compare with the step size instead of float error.
            double allowed = tolerance * (OptimizerFactory.Is8Bit(cls) ? totalUpdate : 1);
            Assert.True(MaxDiff(projected, plain) <= allowed, $"step {step}: {MaxDiff(projected, plain):G3} > {allowed:G3}");
        }
        Assert.Equal(1, galore.StateOf(projected).Projector!.RefreshCount);
        Assert.Null(baseline.StateOf(plain).Projector);
    }

    [Fact]
    public void Optimizer_refreshes_at_steps_0_t_and_2_t()
    {
        using var scope = NewDisposeScope();
        var p = Param(2, ScalarType.Float32, 32, 16);
        using var optimizer = new GaLoreAdamW([], [p], new GaLoreSettings(4, 3, 0.25, ProjectionType.Std));
        var counts = new List<int>();
        for (int step = 0; step < 7; step++)
        {
            SetGrad(p, Randn(step, ScalarType.Float32, 32, 16));
            optimizer.step();
            counts.Add(optimizer.StateOf(p).Projector!.RefreshCount);
        }
        Assert.Equal([1, 1, 1, 2, 2, 2, 3], counts);
        Assert.Equal(7, optimizer.StateOf(p).Step);
    }

    public static TheoryData<string> AllClasses() => new(OptimizerFactory.Classes);

    [Theory]
    [MemberData(nameof(AllClasses))]
    public void No_tensor_leaks_across_steps(string cls)
    {
        using var scope = NewDisposeScope();
        var matrix = Param(3, ScalarType.Float32, 128, 64);
        var vector = Param(4, ScalarType.Float32, 64);
        ProjectedOptimizer optimizer = OptimizerFactory.IsGaLore(cls)
            ? OptimizerFactory.Create(cls, [matrix], new GaLoreSettings(8, 3, 0.25, ProjectionType.Std))
            : OptimizerFactory.Create(cls, [matrix, vector]);
        using (optimizer)
        {
            if (optimizer is GaLoreAdamW or GaLoreAdamW8bit or GaLoreAdafactor)
                optimizer.add_param_group(new TorchSharp.Modules.ParamGroup { Parameters = [vector], Options = NewOptions(optimizer) });
            var grads = Enumerable.Range(0, 10).Select(i => (Randn(100 + i, ScalarType.Float32, 128, 64), Randn(200 + i, ScalarType.Float32, 64))).ToList();
            long live2 = 0;
            for (int step = 0; step < 10; step++)
            {
                SetGrad(matrix, grads[step].Item1);
                SetGrad(vector, grads[step].Item2);
                optimizer.step();
                optimizer.zero_grad(set_to_none: true);
                if (step == 1) live2 = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            }
            Assert.Equal(live2, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
            Assert.Equal(20, optimizer.UpdateCount);
        }
    }

    static TorchSharp.Modules.OptimizerOptions NewOptions(ProjectedOptimizer o) =>
        o is GaLoreAdafactor ? new AdafactorOptions() : new AdamWOptions();

    [Theory]
    [MemberData(nameof(AllClasses))]
    public void Save_and_load_give_identical_next_steps(string cls)
    {
        using var scope = NewDisposeScope();
        var settings = new GaLoreSettings(8, 2, 0.25, ProjectionType.Std);
        var a = Param(5, ScalarType.Float32, 128, 64);
        var av = Param(6, ScalarType.Float32, 40);
        using var first = OptimizerFactory.IsGaLore(cls)
            ? Pair(cls, a, av, settings) : OptimizerFactory.Create(cls, [a, av], beta1: 0.9);
        for (int step = 0; step < 3; step++)
        {
            SetGrad(a, Randn(300 + step, ScalarType.Float32, 128, 64));
            SetGrad(av, Randn(400 + step, ScalarType.Float32, 40));
            first.step();
        }
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) first.save_state_dict(writer);

        var b = Copy(a);
        var bv = Copy(av);
        using var second = OptimizerFactory.IsGaLore(cls)
            ? Pair(cls, b, bv, settings) : OptimizerFactory.Create(cls, [b, bv], beta1: 0.9);
        stream.Position = 0;
        using (var reader = new BinaryReader(stream)) second.load_state_dict(reader);
        Assert.True(first.StateOf(a).ApproximatelyEquals(second.StateOf(b)));

        // Two more steps; step 4 (index 4 = 2T) refreshes the projector on both sides.
        for (int step = 3; step < 5; step++)
        {
            var g = Randn(300 + step, ScalarType.Float32, 128, 64);
            var gv = Randn(400 + step, ScalarType.Float32, 40);
            SetGrad(a, g); SetGrad(av, gv); SetGrad(b, g); SetGrad(bv, gv);
            first.step();
            second.step();
            Assert.Equal(0.0, MaxDiff(a, b));
            Assert.Equal(0.0, MaxDiff(av, bv));
        }
        Assert.Equal(first.StateOf(a).Step, second.StateOf(b).Step);
    }

    static ProjectedOptimizer Pair(string cls, Parameter matrix, Parameter vector, GaLoreSettings settings) => cls switch
    {
        "GaLoreAdamW" => new GaLoreAdamW([vector], [matrix], settings),
        "GaLoreAdamW8bit" => new GaLoreAdamW8bit([vector], [matrix], settings),
        _ => new GaLoreAdafactor([vector], [matrix], settings, 1e-2, beta1: 0.9),
    };

    [Theory]
    [InlineData(4095, ScalarType.Float32)]
    [InlineData(4096, ScalarType.Byte)]
    public void Eight_bit_states_start_at_4096_elements(long n, ScalarType expected)
    {
        using var scope = NewDisposeScope();
        var p = Param(11, ScalarType.BFloat16, n);
        using var optimizer = new AdamW8bit([p]);
        SetGrad(p, Randn(12, ScalarType.BFloat16, n));
        optimizer.step();
        var state = optimizer.StateOf(p).Tensors;
        Assert.All(state.Where(t => t.Name.StartsWith("state", StringComparison.Ordinal)), t => Assert.Equal(expected, t.Tensor.dtype));
        Assert.Equal(expected == ScalarType.Byte ? 4 : 2, state.Count);
    }

    [Fact]
    public void Bfloat16_steps_stay_finite_for_every_optimizer()
    {
        using var scope = NewDisposeScope();
        foreach (var cls in OptimizerFactory.Classes)
        {
            var p = Param(7, ScalarType.BFloat16, 64, 96);
            var before = p.detach().clone();
            var settings = OptimizerFactory.IsGaLore(cls) ? new GaLoreSettings(8, 2, 0.25, ProjectionType.Full) : null;
            using var optimizer = OptimizerFactory.Create(cls, [p], settings);
            for (int step = 0; step < 3; step++)
            {
                SetGrad(p, Randn(500 + step, ScalarType.BFloat16, 64, 96));
                optimizer.step();
            }
            Assert.Equal(ScalarType.BFloat16, p.dtype);
            Assert.False(p.isnan().any().item<bool>(), cls);
            Assert.True(MaxDiff(p, before) > 0, cls);
        }
    }

    [Fact]
    public void Constructors_reject_bad_arguments()
    {
        using var scope = NewDisposeScope();
        var p = Param(8, ScalarType.Float32, 8, 4);
        var v = Param(9, ScalarType.Float32, 8);
        Assert.Throws<ArgumentException>(() => new AdamW([p], lr: -1));
        Assert.Throws<ArgumentException>(() => new AdamW([p], beta1: 1.0));
        Assert.Throws<ArgumentException>(() => new AdamW([p], beta2: -0.1));
        Assert.Throws<ArgumentException>(() => new AdamW8bit([p], eps: double.NaN));
        Assert.Throws<ArgumentException>(() => new GaLoreAdamW8bit([p], [], GaLoreSettings.Default, weight_decay: -1));
        Assert.Throws<ArgumentException>(() => new Adafactor([p], 1e-3, clip_threshold: 0));
        Assert.Throws<ArgumentException>(() => new Adafactor([p], 1e-3, decay_rate: 0.5));
        Assert.Throws<ArgumentException>(() => new Adafactor([p], 1e-3, beta1: 1.5));
        Assert.Throws<ArgumentException>(() => new GaLoreAdafactor([], [v], GaLoreSettings.Default, 1e-3));   // 1-D weight in a GaLore group
        Assert.Throws<ArgumentException>(() => new GaLoreAdamW([p], [p], GaLoreSettings.Default));            // listed twice
        Assert.Throws<ArgumentException>(() => new GaLoreAdamW([], [p], new GaLoreSettings(0, 1, 1, ProjectionType.Std)));
        Assert.Throws<ArgumentException>(() => new AdamW([GaLoreGroups.Projected<AdamWOptions>([p], GaLoreSettings.Default)]));
    }
}
