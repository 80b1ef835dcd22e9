using GaLore.Planner.Runtime;
using GaLore.Kernels.Factory;
using GaLore.Kernels.Optimizers;
using GaLore.Kernels.Projection;
using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace GaLore.Kernels.Tests.Kernels;

/// <summary>The kernels of the families added for Hugging Face's other names: the states they hold are the planner's
/// <see cref="StateLayout"/>, and their updates are the reference formulas.</summary>
[Collection("torch")]
public sealed class FamilyKernelTests : TorchTestBase
{
    /// <summary>(name, optim_args): every family with a kernel besides the core three, with knobs that add states.</summary>
    public static TheoryData<string, string> Named() => new()
    {
        { "adamw_torch_fused", "" }, { "sgd", "momentum=0.9" }, { "sgd", "momentum=0.9,nesterov=True" }, { "adagrad", "" },
        { "rmsprop", "momentum=0.5,centered=True" }, { "rmsprop", "" }, { "lion_32bit", "" }, { "ademamix", "" },
        { "schedule_free_adamw", "" }, { "lomo", "" }, { "adamw_torch_4bit", "" }, { "adamw_torch_4bit", "block_size=128" },
        { "apollo_adamw", "rank=8" }, { "apollo_adamw", "rank=1,scale_type=tensor,scale=128" }, { "apollo_adamw_layerwise", "rank=8" },
        { "adamw_8bit", "" },
    };

    static IReadOnlyList<NamedParameter> Model(ScalarType dtype) =>
    [
        NamedParameter.Loose("model.embed_tokens.weight", "model.embed_tokens", new Parameter(Randn(1, dtype, 64, 96).mul_(0.5), true), isLinear: false),
        NamedParameter.Loose("model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.up_proj", new Parameter(Randn(2, dtype, 96, 64).mul_(0.5), true), isLinear: true),
        NamedParameter.Loose("model.layers.0.mlp.down_proj.weight", "model.layers.0.mlp.down_proj", new Parameter(Randn(3, dtype, 32, 96).mul_(0.5), true), isLinear: true),
        NamedParameter.Loose("model.norm.weight", "model.norm", new Parameter(Randn(4, dtype, 96).mul_(0.5), true), isLinear: false),
    ];

    [Theory]
    [MemberData(nameof(Named))]
    public void Held_states_are_the_planners_layout(string name, string optimArgs)
    {
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16 })
        {
            using var scope = NewDisposeScope();
            var named = Model(dtype);
            var setup = OptimizerSetup.FromOptimArgs(name, optimArgs.Length == 0 ? null : optimArgs);
            using var opt = HfOptimizerFactory.Create(setup, named, 1e-3);
            for (int step = 0; step < 2; step++) Step(opt, named, step);
            var precision = new Precision(dtype == ScalarType.Float32 ? PrecisionMode.Fp32 : PrecisionMode.Bf16);
            var mask = setup.SelectGaLore(named.Select(p => p.Table).ToList());
            for (int k = 0; k < named.Count; k++)
            {
                var expected = StateLayout.Describe(named[k].Table, mask[k], setup, precision, RuntimeProfile.TorchSharpKernels);
                var held = opt.StateOf(named[k].Tensor).Tensors;
                string where = $"{name} {dtype} {named[k].Name}";
                Assert.True(expected.Select(e => e.Name).SequenceEqual(held.Select(h => h.Name)),
                    $"{where}: {string.Join(",", expected.Select(e => e.Name))} vs {string.Join(",", held.Select(h => h.Name))}");
                Assert.True(expected.Select(e => e.Elements).SequenceEqual(held.Select(h => h.Tensor.numel())), where);
                Assert.True(expected.Select(e => e.Bytes).SequenceEqual(held.Select(h => h.Tensor.numel() * h.Tensor.ElementSize)), where);
            }
        }
    }

    /// <summary>One step with a seeded gradient per parameter: through backward for layerwise names, else set and stepped.</summary>
    static void Step(HfOptimizer opt, IReadOnlyList<NamedParameter> named, int step)
    {
        using var scope = NewDisposeScope();
        if (opt.IsLayerwise)
        {
            Tensor loss = zeros([]);
            foreach (var p in named)
            {
                using var target = Randn(100 + step, p.Tensor.dtype, p.Tensor.shape);
                loss = loss + opt.Tap(p.Tensor).mul(target).sum().to(ScalarType.Float32);
            }
            loss.backward();
        }
        else
            foreach (var p in named) SetGrad(p.Tensor, Randn(100 + step + p.Tensor.numel(), p.Tensor.dtype, p.Tensor.shape));
        opt.step();
        opt.zero_grad();
    }

    [Fact]
    public void Every_family_with_a_kernel_in_the_planner_has_one_here_and_no_other()
    {
        var planned = OptimizerCatalog.Models.Where(m => m.HasTorchSharpKernel).Select(m => m.Id).OrderBy(x => x).ToList();
        Assert.Equal(planned, KernelCatalog.Ids.OrderBy(x => x).ToList());
    }

    [Fact]
    public void Sgd_matches_torchs_formula_with_momentum_and_nesterov()
    {
        using var scope = NewDisposeScope();
        var p = Param(1, ScalarType.Float64, 5, 3);
        var w = p.detach().clone();
        Tensor? buf = null;
        using var opt = new Sgd([p], lr: 0.1, momentum: 0.9, nesterov: true);
        for (int t = 0; t < 3; t++)
        {
            var g = Randn(10 + t, ScalarType.Float64, 5, 3);
            SetGrad(p, g);
            opt.step();
            buf = buf is null ? g.clone() : buf.mul(0.9).add(g);
            w = w - 0.1 * (g + 0.9 * buf);
            Assert.True(MaxDiff(p, w) < 1e-12);
        }
    }

    [Fact]
    public void Adagrad_and_rmsprop_match_torchs_formulas()
    {
        using var scope = NewDisposeScope();
        var a = Param(1, ScalarType.Float64, 4, 4);
        var b = Copy(a);
        var wa = a.detach().clone();
        var wb = b.detach().clone();
        var sum = zeros_like(wa);
        var sq = zeros_like(wb);
        var mean = zeros_like(wb);
        var buf = zeros_like(wb);
        using var adagrad = new Adagrad([a], lr: 0.1, lr_decay: 0.01, eps: 1e-10);
        using var rmsprop = new Rmsprop([b], lr: 0.01, alpha: 0.9, eps: 1e-8, momentum: 0.5, centered: true);
        for (int t = 1; t <= 3; t++)
        {
            var g = Randn(20 + t, ScalarType.Float64, 4, 4);
            SetGrad(a, g);
            SetGrad(b, g);
            adagrad.step();
            rmsprop.step();
            sum = sum + g * g;
            wa = wa - (0.1 / (1 + (t - 1) * 0.01)) * g / (sum.sqrt() + 1e-10);
            sq = sq * 0.9 + 0.1 * g * g;
            mean = mean * 0.9 + 0.1 * g;
            buf = buf * 0.5 + g / ((sq - mean * mean).sqrt() + 1e-8);
            wb = wb - 0.01 * buf;
            Assert.True(MaxDiff(a, wa) < 1e-12, $"adagrad step {t}");
            Assert.True(MaxDiff(b, wb) < 1e-12, $"rmsprop step {t}");
        }
    }

    [Fact]
    public void Lion_matches_the_papers_update_and_keeps_a_float32_momentum_for_bf16_weights()
    {
        using var scope = NewDisposeScope();
        var p = Param(1, ScalarType.Float32, 6, 5);
        var w = p.detach().to(ScalarType.Float64);
        var m = zeros_like(w);
        using var opt = new Lion([p], lr: 0.01, beta1: 0.9, beta2: 0.99);
        for (int t = 0; t < 3; t++)
        {
            var g = Randn(30 + t, ScalarType.Float32, 6, 5);
            SetGrad(p, g);
            opt.step();
            var g64 = g.to(ScalarType.Float64);
            w = w - 0.01 * (0.9 * m + 0.1 * g64).sign();
            m = 0.99 * m + 0.01 * g64;
            Assert.True(MaxDiff(p, w) < 1e-6);
        }
        var bf = Param(2, ScalarType.BFloat16, 8, 8);
        using var lion = new Lion([bf], lr: 0.01);
        SetGrad(bf, Randn(3, ScalarType.BFloat16, 8, 8));
        lion.step();
        Assert.Equal(ScalarType.Float32, lion.StateOf(bf).Tensors.Single().Tensor.dtype);
    }

    [Fact]
    public void Ademamix_matches_bitsandbytes_reference()
    {
        using var scope = NewDisposeScope();
        var p = Param(1, ScalarType.Float32, 7, 3);
        var w = p.detach().to(ScalarType.Float64);
        var m1 = zeros_like(w);
        var m2 = zeros_like(w);
        var nu = zeros_like(w);
        using var opt = new AdEMAMix([p], lr: 0.01, alpha: 5, beta3: 0.999);
        for (int t = 1; t <= 3; t++)
        {
            var g = Randn(40 + t, ScalarType.Float32, 7, 3).to(ScalarType.Float64);
            SetGrad(p, g.to(ScalarType.Float32));
            opt.step();
            m1 = m1 * 0.9 + 0.1 * g;
            m2 = m2 * 0.999 + 0.001 * g;
            nu = nu * 0.999 + 0.001 * g * g;
            var denom = nu.sqrt() / Math.Sqrt(1 - Math.Pow(0.999, t)) + 1e-8;
            w = w - 0.01 * ((m1 / (1 - Math.Pow(0.9, t)) + 5 * m2) / denom);
            Assert.True(MaxDiff(p, w) < 1e-5, $"step {t}: {MaxDiff(p, w)}");
        }
    }

    [Fact]
    public void Schedule_free_adamw_matches_the_references_single_tensor_path()
    {
        using var scope = NewDisposeScope();
        var p = Param(1, ScalarType.Float64, 5, 4);
        var y = p.detach().clone();
        var z = y.clone();
        var v = zeros_like(y);
        double weightSum = 0, lrMax = -1, lr = 0.01;
        using var opt = new ScheduleFreeAdamW([p], lr: lr, warmup_steps: 2);
        for (int k = 0; k < 4; k++)
        {
            var g = Randn(50 + k, ScalarType.Float64, 5, 4);
            SetGrad(p, g.clone());
            opt.step();
            double sched = k < 2 ? (k + 1) / 2.0 : 1.0, lrNow = lr * sched;
            lrMax = Math.Max(lrNow, lrMax);
            double weight = Math.Pow(lrMax, 2.0);
            weightSum += weight;
            double c = weight / weightSum;
            v = v * 0.999 + 0.001 * g * g;
            var gn = g / ((v / (1 - Math.Pow(0.999, k + 1))).sqrt() + 1e-8);
            y = y * (1 - c) + z * c;
            y = y + gn * (lrNow * (0.9 * (1 - c) - 1));
            z = z - lrNow * gn;
            Assert.True(MaxDiff(p, y) < 1e-12, $"step {k}");
        }
    }

    [Fact]
    public void Four_bit_adamw_tracks_float32_adamw_within_quantization_error()
    {
        using var scope = NewDisposeScope();
        var q = Param(1, ScalarType.Float32, 64, 128);    // 8192 elements: quantized
        var f = Copy(q);
        using var four = new AdamW4bit([q], lr: 1e-3);
        using var full = new Optimizers.AdamW([f], lr: 1e-3);
        for (int t = 0; t < 5; t++)
        {
            var g = Randn(60 + t, ScalarType.Float32, 64, 128);
            SetGrad(q, g);
            SetGrad(f, g);
            four.step();
            full.step();
        }
        // Each AdamW step moves a weight by at most about lr; 4-bit moments change the direction, not the size, of the steps.
        Assert.True(MaxDiff(q, f) < 5 * 1e-3 * 0.75, $"{MaxDiff(q, f)}");
        using var moved = (q - f).abs().mean();
        Assert.True(moved.item<float>() < 1e-3, $"{moved.item<float>()}");
        var names = four.StateOf(q).Tensors.Select(s => s.Name).ToList();
        Assert.Equal(["exp_avg.codes", "exp_avg.scale", "exp_avg.qmap", "exp_avg_sq.codes", "exp_avg_sq.scale", "exp_avg_sq.qmap"], names);
    }

    [Fact]
    public void Four_bit_codes_are_torchaos_maps()
    {
        Assert.Equal([-0.8875f, -0.6625f, -0.4375f, -0.2125f, -0.0775f, -0.0325f, -0.0055f, 0f, 0.0055f, 0.0325f, 0.0775f, 0.2125f, 0.4375f, 0.6625f, 0.8875f, 1f],
            Quantization.FourBitMap.Signed.Values.Select(v => MathF.Round(v, 6)));
        Assert.Equal(Enumerable.Range(1, 16).Select(k => k / 16f), Quantization.FourBitMap.Unsigned.Values);
    }

    [Fact]
    public void Apollo_projection_is_regenerated_from_the_seed_chain_without_reading_the_gradient()
    {
        using var scope = NewDisposeScope();
        var settings = new GaLoreSettings(4, 2, 1.0, ProjectionType.Std);
        using var a = new GaLoreProjector(32, 16, settings, ScalarType.Float32, SubspaceRefresh.Gaussian, seed: 7);
        using var b = new GaLoreProjector(32, 16, settings, ScalarType.Float32, SubspaceRefresh.Gaussian, seed: 7);
        a.RefreshIfDue(Randn(1, ScalarType.Float32, 32, 16), 0);
        b.RefreshIfDue(Randn(2, ScalarType.Float32, 32, 16), 0);     // another gradient: the same matrix
        Assert.Equal(0, MaxDiff(a.State!, b.State!));
        using var gen = new Generator(7);
        using var expected = randn([4, 16], generator: gen).div_(2.0);  // right projector, N(0, 1/r)
        Assert.Equal(0, MaxDiff(a.Right!, expected));
        long next = GaLoreProjector.NextSeed(7);
        Assert.Equal(next, a.Seed);
        Assert.NotEqual(7, next);
        var first = a.State!.clone();
        Assert.False(a.RefreshIfDue(Randn(3, ScalarType.Float32, 32, 16), 1));
        Assert.True(a.RefreshIfDue(Randn(3, ScalarType.Float32, 32, 16), 2));
        Assert.True(MaxDiff(first, a.State!) > 0.1);
        Assert.Equal(0, a.RefreshCount - 2);
    }

    [Theory]
    [InlineData(false, 48, 16)]
    [InlineData(false, 16, 48)]
    [InlineData(true, 48, 16)]
    public void Apollo_matches_the_reference_step_with_its_full_size_scaled_gradient(bool tensor, long rows, long cols)
    {
        using var scope = NewDisposeScope();
        var settings = new GaLoreSettings(4, 100, tensor ? 128 : 1.0, ProjectionType.Std);
        var p = Param(1, ScalarType.Float64, rows, cols);
        var w = p.detach().clone();
        using var opt = new ApolloAdamW([], [p], settings, lr: 1e-2, tensorScaling: tensor);
        using var projector = new GaLoreProjector(rows, cols, settings, ScalarType.Float64, SubspaceRefresh.Gaussian, seed: 1);
        Tensor? m = null, v = null;
        double? prev = null;
        for (int t = 1; t <= 3; t++)
        {
            var g = Randn(70 + t, ScalarType.Float64, rows, cols);
            SetGrad(p, g);
            opt.step();
            // apollo_torch.AdamW.step, with scaled_grad materialised as the reference does.
            projector.RefreshIfDue(g, t - 1);
            var r = projector.Project(g);
            m = m is null ? 0.1 * r : 0.9 * m + 0.1 * r;
            v = v is null ? 0.001 * r * r : 0.999 * v + 0.001 * r * r;
            double step = 1e-2 * Math.Sqrt(1 - Math.Pow(0.999, t)) / (1 - Math.Pow(0.9, t));
            var n = m / (v.sqrt() + 1e-8);
            int dim = rows < cols ? 0 : 1;
            Tensor factor = tensor ? n.norm() / (r.norm() + 1e-8)
                : (dim == 1 ? (n.norm(dim, false) / (r.norm(dim, false) + 1e-8)).unsqueeze(1) : n.norm(dim, false) / (r.norm(dim, false) + 1e-8));
            var scaled = g * factor;
            double norm = scaled.norm().item<double>();
            if (prev is { } s)
            {
                double limiter = Math.Max(norm / (s + 1e-8), 1.01) / 1.01;
                scaled = scaled / limiter;
                prev = norm / limiter;
            }
            else prev = norm;
            w = w - step * Math.Sqrt(settings.Scale) * scaled;
            Assert.True(MaxDiff(p, w) < 1e-10, $"step {t}: {MaxDiff(p, w):G3}");
        }
    }

    [Fact]
    public void Layerwise_apollo_seeds_every_parameter_with_one_as_hfs_per_parameter_optimizers_do()
    {
        using var scope = NewDisposeScope();
        var named = Model(ScalarType.Float32);
        using var opt = HfOptimizerFactory.Create(OptimizerSetup.FromOptimArgs("apollo_adamw_layerwise", "rank=8"), named, 1e-3);
        using var whole = HfOptimizerFactory.Create(OptimizerSetup.FromOptimArgs("apollo_adamw", "rank=8"), Model(ScalarType.Float32), 1e-3);
        Step(opt, named, 0);
        Assert.Equal(GaLoreProjector.NextSeed(1), opt.StateOf(named[1].Tensor).Projector!.Seed);
        Assert.Equal(GaLoreProjector.NextSeed(1), opt.StateOf(named[2].Tensor).Projector!.Seed);
        // Non-layerwise: HF's groups are [non-target, target], so the targets are parameters 3 and 4.
        var wholeNamed = Model(ScalarType.Float32);
        using var w2 = HfOptimizerFactory.Create(OptimizerSetup.FromOptimArgs("apollo_adamw", "rank=8"), wholeNamed, 1e-3);
        Step(w2, wholeNamed, 0);
        Assert.Equal(GaLoreProjector.NextSeed(3), w2.StateOf(wholeNamed[1].Tensor).Projector!.Seed);
        Assert.Equal(GaLoreProjector.NextSeed(4), w2.StateOf(wholeNamed[2].Tensor).Projector!.Seed);
    }

    [Fact]
    public void Lomo_updates_inside_backward_as_plain_sgd()
    {
        using var scope = NewDisposeScope();
        var a = new TinyModels.Mlp(12, 10, 6, 16, seed: 5);
        var b = new TinyModels.Mlp(12, 10, 6, 16, seed: 5);
        Tensor Named(TinyModels.Mlp m, int k) => m.Parameters[k];
        var namedA = a.Parameters.Select((p, k) => NamedParameter.Loose($"p{k}.weight", $"p{k}", p, k < 2)).ToList();
        using var lomo = HfOptimizerFactory.Create("lomo", namedA, 0.05);
        using var sgd = new Sgd(b.Parameters, lr: 0.05);
        Assert.True(lomo.IsLayerwise);
        for (int t = 0; t < 3; t++)
        {
            using (var loss = a.Loss(lomo.Tap)) loss.backward();
            lomo.step();
            lomo.zero_grad();
            Assert.All(a.Parameters, p => Assert.True(p.grad is null));
            using (var loss = b.Loss(p => p.alias())) loss.backward();
            sgd.step();
            sgd.zero_grad(true);
            for (int k = 0; k < 3; k++) Assert.True(MaxDiff(Named(a, k), Named(b, k)) < 1e-6);
        }
    }

    [Fact]
    public void Eight_bit_adamw_keeps_float32_states_for_embeddings_but_galore_eight_bit_does_not()
    {
        using var scope = NewDisposeScope();
        var embed = NamedParameter.Loose("model.embed_tokens.weight", "model.embed_tokens", Param(1, ScalarType.BFloat16, 128, 64), isLinear: false);
        var linear = NamedParameter.Loose("lm_head.weight", "lm_head", Param(2, ScalarType.BFloat16, 128, 64), isLinear: true);
        foreach (var (name, embedType) in new[] { ("adamw_8bit", ScalarType.Float32), ("adamw_8bit_layerwise", ScalarType.Float32), ("galore_adamw_8bit", ScalarType.Byte) })
        {
            using var opt = HfOptimizerFactory.Create(OptimizerSetup.FromOptimArgs(name, name.StartsWith("galore") ? "rank=8" : null,
                TargetModules.Parse("lm_head")), [embed, linear], 1e-3);
            Step(opt, [embed, linear], 0);
            Assert.Equal(embedType, opt.StateOf(embed.Tensor).Tensors[0].Tensor.dtype);
            if (!name.StartsWith("galore")) Assert.Equal(ScalarType.Byte, opt.StateOf(linear.Tensor).Tensors[0].Tensor.dtype);
        }
    }
}
