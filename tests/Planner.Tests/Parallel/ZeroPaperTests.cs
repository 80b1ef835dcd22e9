using GaLore.Planner.Memory;
using GaLore.Planner.Parallel;
using static GaLore.Planner.Tests.Parallel.ParallelSpecs;

namespace GaLore.Planner.Tests.Parallel;

/// <summary>ZeRO's model-state memory (Rajbhandari et al. 2020, arXiv 1910.02054): the paper's Figure 1 and the planner's
/// per-GPU model states against the formulas on a model small enough to check by hand.</summary>
public class ZeroPaperTests
{
    [Fact]
    public void Figure_1_is_reproduced()
    {
        // Ψ = 7.5 B, N = 64, K = 12; GB = 10⁹ bytes, one decimal as the figure prints it.
        const double psi = 7.5e9;
        Assert.Equal(120.0, Math.Round(ZeroModelStates.Baseline(psi) / 1e9, 1));
        Assert.Equal(31.4, Math.Round(ZeroModelStates.Stage1(psi, 64) / 1e9, 1));   // 30 + 1.41
        Assert.Equal(16.6, Math.Round(ZeroModelStates.Stage2(psi, 64) / 1e9, 1));   // 15 + 1.64
        Assert.Equal(1.9, Math.Round(ZeroModelStates.Stage3(psi, 64) / 1e9, 1));    // 1.875
    }

    [Fact]
    public void Llama_2_7b_on_8_gpus_follows_the_formulas()
    {
        var psi = (double)ParameterCountTests.Count(Models.ModelPresets.Find("llama-2-7b")!);
        double Total(ShardingStrategy s)
        {
            var m = ParallelSummary.Of(Step("llama-2-7b", "adamw", 8, s)).ModelStates;
            return m.Weights + m.Gradients + m.OptimizerStates;
        }
        // Stage 1 pads each flat group to a multiple of 2N elements; stage 3 also keeps the norms (≤ 1e5 elements) whole.
        Assert.InRange(Total(Strategies.Zero1) / ZeroModelStates.Stage1(psi, 8), 1.0, 1.0001);
        Assert.InRange(Total(Strategies.Zero3) / ZeroModelStates.Stage3(psi, 8), 1.0, 1.001);
        // Stage 2's gradient partition keeps every parameter that overlaps it whole (copy_grads_in_partition), so it is larger.
        Assert.InRange(Total(Strategies.Zero2) / ZeroModelStates.Stage2(psi, 8), 1.0, 1.02);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Per_gpu_model_states_equal_the_zero_formulas_on_a_tiny_model_by_hand(int n)
    {
        // tiny: embed 512·64 = 32,768; per block q 64·64 = 4,096, k and v (2 kv heads · 16) · 64 = 2,048 each, o 4,096, gate, up and
        // down 176·64 = 11,264 each (46,080) and two norms of 64; final norm 64; lm_head 32,768. HF's groups: 157,696 matrix
        // elements with weight decay, 320 norm elements without; both divide by 2N, so DeepSpeed pads nothing.
        const long psi = TinyPsi, decay = 157_696, noDecay = 320;
        Assert.Equal(psi, decay + noDecay);

        // ZeRO-1: 2Ψ bf16 weights + 2Ψ bf16 gradients + 12Ψ/N (fp32 master, m, v) = 4Ψ + 12Ψ/N.
        var z1 = ParallelSummary.Of(Tiny_("adamw", n, Strategies.Zero1)).ModelStates;
        Assert.Equal(2 * psi, z1.Weights);
        Assert.Equal(2 * psi, z1.Gradients);
        Assert.Equal(12 * psi / n, z1.OptimizerStates);
        Assert.Equal(ZeroModelStates.Stage1(psi, n), z1.Weights + z1.Gradients + z1.OptimizerStates);

        // ZeRO-2: 2Ψ + (2 + 12)Ψ/N — except that grads_in_partition keeps every parameter overlapping the partition whole.
        // N = 2: the matrix partitions are exactly [embed, block 0] and [block 1, lm_head] (78,848 each); the norm partitions of
        // 160 elements cut the third norm, so each holds 3 norms (192). N = 4: the busiest matrix partition is block 1's seven
        // matrices (46,080: block 1 starts at 78,848, exactly the second boundary, and down_proj straddles the third); norms 2 each.
        long wholeInPartition = n == 2 ? 78_848 + 192 : 46_080 + 128;
        var z2 = ParallelSummary.Of(Tiny_("adamw", n, Strategies.Zero2)).ModelStates;
        Assert.Equal(2 * psi, z2.Weights);
        Assert.Equal(2 * wholeInPartition, z2.Gradients);
        Assert.Equal(12 * psi / n, z2.OptimizerStates);
        Assert.Equal(ZeroModelStates.Stage2(psi, n) + 2 * (wholeInPartition - psi / n), z2.Weights + z2.Gradients + z2.OptimizerStates);

        // ZeRO-3 with no persistent parameters: (2 + 2 + 12)Ψ/N exactly (every tensor divides by N).
        var z3 = ParallelSummary.Of(Tiny_("adamw", n, new Zero3Strategy(ZeroConfig.Default with { ParamPersistenceThreshold = 0 }))).ModelStates;
        Assert.Equal(2 * psi / n, z3.Weights);
        Assert.Equal(2 * psi / n, z3.Gradients);
        Assert.Equal(12 * psi / n, z3.OptimizerStates);
        Assert.Equal(ZeroModelStates.Stage3(psi, n), z3.Weights + z3.Gradients + z3.OptimizerStates);

        // With DeepSpeed's default stage3_param_persistence_threshold (1e5) every tiny tensor is persistent: whole on each GPU.
        var z3d = ParallelSummary.Of(Tiny_("adamw", n, Strategies.Zero3)).ModelStates;
        Assert.Equal(2 * psi + 2 * psi / n, z3d.Weights);
    }

    [Fact]
    public void Timeline_peaks_hold_the_model_states()
    {
        foreach (var strategy in new[] { Strategies.Zero1, Strategies.Zero2, Strategies.Zero3 })
        {
            var s = Tiny_("adamw", 4, strategy);
            var m = ParallelSummary.Of(s).ModelStates;
            var peak = StepCompiler.Compile(s, device: Runtime.DeviceKind.Cpu).Evaluate(64, 64);
            Assert.True(peak.PeakBytes >= m.Weights + m.Gradients + m.OptimizerStates, strategy.Name);
        }
    }
}
