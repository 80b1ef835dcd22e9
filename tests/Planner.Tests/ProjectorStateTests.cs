using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Tests;

/// <summary>
/// How much GaLore's projector keeps alive on each runtime. galore-torch's <c>get_orthogonal_matrix</c>
/// (galore_torch/galore_projector.py) returns <c>Vh[:rank, :]</c> / <c>U[:, :rank]</c> as slicing views when the matrix
/// it was given is already float32, so the whole SVD factor (Vᴴ: k × n, U: m × k, k = min(m, n)) stays alive; a BF16
/// input is upcast first and the result cast back with <c>.type()</c>, a compact r-sized copy. This project's kernels
/// always copy into a compact buffer.
/// </summary>
public class ProjectorStateTests
{
    static readonly Precision Bf16 = new(PrecisionMode.Bf16), Fp32 = new(PrecisionMode.Fp32), Mixed = new(PrecisionMode.Mixed);

    static StateTensor Projector(long m, long n, string optimizer, Precision p, RuntimeProfile runtime, ProjectionType type = ProjectionType.Std)
    {
        var t = new ParameterTensor("w", "m.mlp.up_proj", TensorKind.MlpProjection, 0, m, n);
        var setup = OptimizerSetup.FromName(optimizer, GaLoreSettings.Default with { Rank = 8, ProjType = type });
        return StateLayout.Describe(t, true, setup, p, runtime).Single(s => s.Name == "projector");
    }

    [Theory]
    [InlineData(176, 64, 64 * 64)]   // tall: right, Vh is n × n
    [InlineData(64, 176, 64 * 64)]   // wide: left, U is m × m
    [InlineData(64, 64, 64 * 64)]    // square: right
    public void Fp32_gradient_on_pytorch_keeps_the_whole_factor_of_the_smaller_side_squared(long m, long n, long elements)
    {
        var s = Projector(m, n, "galore_adamw", Fp32, RuntimeProfile.PyTorchReference);
        Assert.Equal((elements, DType.Float32), (s.Elements, s.Type));
    }

    [Fact]
    public void Mixed_precision_has_float32_gradients_so_it_keeps_the_factor_too()
    {
        Assert.Equal(64 * 64, Projector(176, 64, "galore_adamw", Mixed, RuntimeProfile.PyTorchReference).Elements);
        Assert.Equal(64 * 64, Projector(176, 64, "galore_adamw_8bit", Mixed, RuntimeProfile.PyTorchReference).Elements);
    }

    [Fact]
    public void Bf16_gradient_on_pytorch_is_cast_back_into_a_compact_copy()
    {
        var s = Projector(176, 64, "galore_adamw", Bf16, RuntimeProfile.PyTorchReference);
        Assert.Equal((8 * 64L, DType.BFloat16), (s.Elements, s.Type));
    }

    [Fact]
    public void Galore_adafactor_upcasts_before_projecting_so_even_bf16_keeps_the_float32_factor()
    {
        var s = Projector(176, 64, "galore_adafactor", Bf16, RuntimeProfile.PyTorchReference);
        Assert.Equal((64 * 64L, DType.Float32), (s.Elements, s.Type));
    }

    [Theory]
    [InlineData(ProjectionType.ReverseStd, 176 * 64)]          // tall with left: U is m × k = the whole 176 × 64
    [InlineData(ProjectionType.Left, 176 * 64)]
    [InlineData(ProjectionType.Right, 64 * 64)]                // Vh is k × n = 64 × 64
    [InlineData(ProjectionType.Full, 176 * 64 + 64 * 64)]      // both factors
    public void Other_projection_types_keep_the_factor_they_slice(ProjectionType type, long elements)
    {
        Assert.Equal(elements, Projector(176, 64, "galore_adamw", Fp32, RuntimeProfile.PyTorchReference, type).Elements);
    }

    [Theory]
    [InlineData("galore_adamw", PrecisionMode.Fp32)]
    [InlineData("galore_adafactor", PrecisionMode.Bf16)]
    [InlineData("galore_adamw_8bit", PrecisionMode.Mixed)]
    public void This_projects_kernels_always_keep_the_compact_projector(string optimizer, PrecisionMode mode)
    {
        Assert.Equal(8 * 64, Projector(176, 64, optimizer, new Precision(mode), RuntimeProfile.TorchSharpKernels).Elements);
        Assert.Equal(8 * 64, Projector(64, 176, optimizer, new Precision(mode), RuntimeProfile.TorchSharpKernels).Elements);
    }

    [Fact]
    public void The_step_compiler_sizes_states_for_the_steps_runtime()
    {
        // tiny (h 64, i 176, k/v width 32, 2 layers), rank 8, attn+mlp targets, fp32. Per layer the pytorch runtime keeps
        // q, o, gate, up (right: Vh 64×64) and down (left: U 64×64): 5 × (4096 − 512); k, v (32×64, left: U 32×32): 2 × (1024 − 256).
        long perLayer = 5 * (4096 - 512) + 2 * (1024 - 256);
        long expectedBytes = 2 * perLayer * 4;
        var tiny = ModelPresets.Find("tiny")!;
        var setup = OptimizerSetup.FromName("galore_adamw", GaLoreSettings.Default with { Rank = 8 });
        long States(RuntimeProfile r) => StepCompiler.Compile(new StepSpec(tiny, setup, Fp32, Runtime: r)).Persistent.OptimizerStates;
        Assert.Equal(expectedBytes, States(RuntimeProfile.PyTorchReference) - States(RuntimeProfile.TorchSharpKernels));
    }

    [Fact]
    public void A_refresh_that_keeps_the_factor_needs_no_extra_projector_beside_the_svd_outputs()
    {
        // The new projector is the SVD's own Vh (counted among the outputs), not a copy made beside them.
        var fp32 = UpdateShape.For(new ParameterTensor("w", "m.mlp.up_proj", TensorKind.MlpProjection, 0, 176, 64), true,
            OptimizerSetup.FromName("galore_adamw", GaLoreSettings.Default with { Rank = 8 }), Fp32);
        Assert.Equal(SvdWorkspace.Bytes(176, 64, DeviceKind.Cuda), RuntimeProfile.PyTorchReference.RefreshTransientBytes(fp32, DeviceKind.Cuda));
        Assert.Equal(SvdWorkspace.Bytes(176, 64, DeviceKind.Cpu) + 8 * 64 * 4, RuntimeProfile.TorchSharpKernels.RefreshTransientBytes(fp32, DeviceKind.Cpu));
    }

    [Theory]
    [InlineData(1408, 512, 4)]   // tall, m ≥ 11k/6: sgesdd's path 3 (QR first, R beside the bidiagonal SVD's 3k²)
    [InlineData(938, 512, 4)]    // ⌊11·512/6⌋ = 938: the path-3 threshold itself
    [InlineData(937, 512, 3)]    // just below it: path 5
    [InlineData(512, 512, 3)]
    [InlineData(512, 1408, 3)]   // wide: MKL measured 2.1–3.0k², counted as path 5
    public void The_cpu_svd_workspace_follows_sgesdds_paths(long m, long n, long squares)
    {
        long k = Math.Min(m, n);
        Assert.Equal(squares * k * k + 7 * k, SvdWorkspace.WorkFloats(m, n, DeviceKind.Cpu));
        Assert.Equal(4 * k * k + 7 * k, SvdWorkspace.WorkFloats(m, n, DeviceKind.Cuda));
        Assert.Equal(m * n * 4 + (m * k + k + k * n) * 4 + (squares * k * k + 7 * k) * 4 + 8 * k * 4, SvdWorkspace.Bytes(m, n, DeviceKind.Cpu));
    }
}
