using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Tests.Optimizers;

/// <summary>
/// Optimizer-state bytes of the tiny preset for every family, derived by hand tensor by tensor from each library's state
/// layout. tiny: V=512, h=64, i=176, 2 layers, 4 heads, 2 K/V heads (k/v 32 × 64), untied; 158,016 parameters in 21 tensors:
/// embed and lm_head 512×64 (32,768), per layer q, o 64×64 (4,096), k, v 32×64 (2,048), gate, up 176×64 and down 64×176
/// (11,264), two norms (64); a final norm (64).
/// </summary>
public class FamilyStateTests
{
    static readonly ModelConfig Tiny = ModelPresets.Find("tiny")!;
    static readonly Precision Bf16 = new(PrecisionMode.Bf16), Fp32 = new(PrecisionMode.Fp32);
    /// <summary>The libraries' layouts (galore-torch, bitsandbytes, torch, apollo-torch, ...).</summary>
    static readonly RuntimeProfile Hf = RuntimeProfile.PyTorchReference;
    const long N = 158_016, Tensors = 21, Embed = 32_768, Q = 4_096, K = 2_048, Mlp = 11_264, Norm = 64;

    static long Total(string optimizer, Precision p, string? optimArgs = null, int rank = 8, RuntimeProfile? runtime = null)
    {
        var parsed = OptimizerSetup.FromOptimArgs(optimizer, optimArgs);
        var setup = parsed.Spec.GaLore && (optimArgs is null || !optimArgs.Contains("rank")) ? parsed with { GaLore = parsed.GaLore with { Rank = rank } } : parsed;
        var table = ParameterTable.Build(Tiny);
        var mask = setup.SelectGaLore(table);
        return table.Select((t, k) => StateLayout.Bytes(t, mask[k], setup, p, runtime ?? Hf)).Sum();
    }

    /// <summary>Σ over tensors of f(elements) for the tiny model's tensors, by kind.</summary>
    static long PerTensor(Func<long, long> embed, Func<long, long> other) =>
        embed(Embed) + other(Embed) + 2 * (2 * other(Q) + 2 * other(K) + 3 * other(Mlp) + 2 * other(Norm)) + other(Norm);

    [Theory]
    [InlineData("adamw_torch_fused")]
    [InlineData("adamw_torch_xla")]
    [InlineData("adamw_torch_npu_fused")]
    public void Torch_adamw_variants_keep_two_moments_in_the_parameter_dtype(string name)
    {
        Assert.Equal(2 * N * 2, Total(name, Bf16));
        Assert.Equal(2 * N * 4, Total(name, Fp32));
    }

    [Fact]
    public void Apex_fused_adam_keeps_float32_moments_even_for_bf16_parameters() => Assert.Equal(8 * N, Total("adamw_apex_fused", Bf16));

    [Fact]
    public void AnyPrecision_adamw_follows_hfs_dtype_knobs_and_adds_a_kahan_buffer()
    {
        Assert.Equal(8 * N, Total("adamw_anyprecision", Bf16));                          // HF: float32 momentum and variance
        Assert.Equal(8 * N + 2 * N, Total("adamw_anyprecision", Bf16, "use_kahan_summation=True"));  // + bf16 compensation
        Assert.Equal(6 * N, Total("adamw_anyprecision", Fp32,
            "use_kahan_summation=1, momentum_dtype=bfloat16, variance_dtype=bfloat16, compensation_buffer_dtype=bfloat16"));
    }

    [Fact]
    public void Bitsandbytes_adamw_8bit_keeps_32_bit_states_for_the_embedding_as_hf_overrides_it()
    {
        // ≥ 4096 elements: 2n + 2·4·⌈n/256⌉; < 4096 and the nn.Embedding weight: 2·4·n. lm_head is an nn.Linear: 8-bit.
        long eight(long n) => n >= 4096 ? 2 * n + 8 * ((n + 255) / 256) : 8 * n;
        long expected = PerTensor(embed: n => 8 * n, other: eight);
        Assert.Equal(expected, Total("adamw_8bit", Bf16));
        Assert.Equal(expected, Total("adamw_bnb_8bit", Fp32));
        Assert.Equal(expected, Total("paged_adamw_8bit", Bf16));
        Assert.Equal(expected, Total("adamw_8bit_layerwise", Bf16));
    }

    [Fact]
    public void Bitsandbytes_32_bit_states_are_float32_whatever_the_parameter_dtype()
    {
        Assert.Equal(8 * N, Total("paged_adamw_32bit", Bf16));
        Assert.Equal(4 * N, Total("lion_32bit", Bf16));
        Assert.Equal(4 * N, Total("paged_lion_32bit", Bf16));
        Assert.Equal(4 * N, Total("rmsprop_bnb", Bf16));
        Assert.Equal(4 * N, Total("rmsprop_bnb_32bit", Fp32));
        Assert.Equal(12 * N, Total("ademamix", Bf16));              // (2, *shape) m1/m2 + ν
        Assert.Equal(12 * N, Total("paged_ademamix_32bit", Fp32));
    }

    [Fact]
    public void Bitsandbytes_one_state_8_bit_names_keep_codes_and_one_absmax_per_block()
    {
        long one(long n) => n >= 4096 ? n + 4 * ((n + 255) / 256) : 4 * n;
        long expected = PerTensor(embed: n => 4 * n, other: one);
        foreach (var name in new[] { "lion_8bit", "paged_lion_8bit", "rmsprop_bnb_8bit" })
            Assert.Equal(expected, Total(name, Bf16));
    }

    [Fact]
    public void AdEMAMix_8bit_keeps_three_code_slices_with_a_two_row_absmax1()
    {
        long three(long n) => n >= 4096 ? 3 * n + 4 * (2 * ((n + 255) / 256) + (n + 255) / 256) : 12 * n;
        long expected = PerTensor(embed: n => 12 * n, other: three);
        Assert.Equal(expected, Total("ademamix_8bit", Bf16));
        Assert.Equal(expected, Total("paged_ademamix_8bit", Fp32));
    }

    [Fact]
    public void Torchao_low_bit_states_quantize_tensors_of_at_least_4096_elements_and_a_multiple_of_the_block()
    {
        // block 256 (HF's): embed, lm_head, q, o, gate, up, down qualify (each a multiple of 256); k, v (2,048) and norms do
        // not and keep zeros_like(p) moments in the parameter's dtype. 4-bit: codes n/2 bytes; 8-bit: n bytes; a float32
        // scale per block and a 16- or 256-entry float32 qmap per moment.
        long four(long n, int wb) => n >= 4096 && n % 256 == 0 ? 2 * (n / 2 + 4 * (n / 256) + 4 * 16) : 2 * n * wb;
        long eight(long n, int wb) => n >= 4096 && n % 256 == 0 ? 2 * (n + 4 * (n / 256) + 4 * 256) : 2 * n * wb;
        Assert.Equal(PerTensor(n => four(n, 2), n => four(n, 2)), Total("adamw_torch_4bit", Bf16));
        Assert.Equal(PerTensor(n => four(n, 4), n => four(n, 4)), Total("adamw_torch_4bit", Fp32));
        Assert.Equal(PerTensor(n => eight(n, 2), n => eight(n, 2)), Total("adamw_torch_8bit", Bf16));
        // block_size 128: the same tensors qualify; one scale per 128 elements.
        long four128(long n) => n >= 4096 && n % 128 == 0 ? 2 * (n / 2 + 4 * (n / 128) + 4 * 16) : 2 * n * 2;
        Assert.Equal(PerTensor(four128, four128), Total("adamw_torch_4bit", Bf16, "block_size=128"));
    }

    [Fact]
    public void Torch_sgd_adagrad_and_rmsprop_keep_their_buffers_in_the_parameter_dtype()
    {
        Assert.Equal(0, Total("sgd", Bf16));                                       // torch's default momentum 0: no state
        Assert.Equal(2 * N, Total("sgd", Bf16, "momentum=0.9"));                   // momentum_buffer
        Assert.Equal(4 * N, Total("sgd", Fp32, "momentum=0.9, nesterov=True"));
        Assert.Equal(2 * N, Total("adagrad", Bf16));                               // sum
        Assert.Equal(4 * N, Total("rmsprop", Fp32));                               // square_avg
        Assert.Equal(3 * 2 * N, Total("rmsprop", Bf16, "momentum=0.9, centered=True"));  // + momentum_buffer + grad_avg
    }

    [Fact]
    public void Schedule_free_keeps_z_and_for_adam_forms_the_second_moment()
    {
        Assert.Equal(2 * 2 * N, Total("schedule_free_adamw", Bf16));
        Assert.Equal(2 * 4 * N, Total("schedule_free_radam", Fp32));
        Assert.Equal(2 * N, Total("schedule_free_sgd", Bf16));
    }

    [Fact]
    public void Grokadamw_keeps_three_buffers_in_host_ram()
    {
        Assert.Equal(3 * 2 * N, Total("grokadamw", Bf16));
        var setup = OptimizerSetup.FromName("grokadamw");
        var table = ParameterTable.Build(Tiny);
        var mask = setup.SelectGaLore(table);
        Assert.All(table, t => Assert.Equal(0, StateLayout.Resident(t, false, setup, Bf16, Hf, AllocationRounding.CudaAllocated, true, false).Total));
        Assert.Equal(3 * 2 * N, StateLayout.HostBytes(table, mask, setup, Bf16, Hf));
    }

    [Fact]
    public void Stable_adamw_adds_kahan_compensation_for_16_bit_parameters_even_when_hf_is_told_false()
    {
        // per tensor: exp_avg, exp_avg_sq, kahan_comp (bf16) + eps_sq (1 element, bf16) + mean_square (1 float32).
        Assert.Equal(3 * 2 * N + Tensors * (2 + 4), Total("stable_adamw", Bf16));
        Assert.Equal(3 * 2 * N + Tensors * (2 + 4), Total("stable_adamw", Bf16, "kahan_sum=False"));   // bool("False") is True
        Assert.Equal(2 * 2 * N + Tensors * (2 + 1 + 4), Total("stable_adamw", Bf16, "kahan_sum="));    // only an empty value is off
        // float32 parameters: no compensation, a 1-element uint8 placeholder under Triton.
        Assert.Equal(2 * 4 * N + Tensors * (4 + 1 + 4), Total("stable_adamw", Fp32));
    }

    [Fact]
    public void Lomo_keeps_nothing_and_adalomo_keeps_float32_factored_second_moments()
    {
        Assert.Equal(0, Total("lomo", Bf16));
        long matrices = 2 * (512 + 64) + 2 * ((64 + 64) * 2 + (32 + 64) * 2 + (176 + 64) * 2 + (64 + 176));
        long vectors = 5 * 64;
        Assert.Equal(4 * (matrices + vectors), Total("adalomo", Bf16));
    }

    [Fact]
    public void Apollo_keeps_galore_adamws_low_rank_moments_and_projector_plus_the_limiters_norm()
    {
        // rank 8: the same R-shaped moments and r × min(m, n) projector as GaLore-AdamW, in the gradient's dtype, and a 0-d
        // scaled_grad per target weight (7 per layer).
        Assert.Equal(Total("galore_adamw", Bf16) + 14 * 2, Total("apollo_adamw", Bf16));
        // In float32 galore-torch keeps its projector as a view of the whole SVD factor; APOLLO's Gaussian projector is its
        // own r-row tensor, as GaLore's compact copy is on the torchsharp runtime.
        Assert.Equal(Total("galore_adamw", Fp32, runtime: RuntimeProfile.TorchSharpKernels) + 14 * 4, Total("apollo_adamw_layerwise", Fp32));
        Assert.True(Total("galore_adamw", Fp32) > Total("galore_adamw", Fp32, runtime: RuntimeProfile.TorchSharpKernels));
        // APOLLO-Mini: rank 1 — a q_proj (64×64) keeps 2·64 + 64 + 1 elements.
        var t = new ParameterTensor("w", "m.self_attn.q_proj", TensorKind.AttentionProjection, 0, 64, 64);
        var mini = OptimizerSetup.FromOptimArgs("apollo_adamw", "rank=1,scale_type=tensor,scale=128");
        Assert.Equal([("projector", 64L, DType.BFloat16), ("exp_avg", 64, DType.BFloat16), ("exp_avg_sq", 64, DType.BFloat16), ("scaled_grad", 1, DType.BFloat16)],
            StateLayout.Describe(t, true, mini, Bf16, Hf).Select(s => (s.Name, s.Elements, s.Type)));
    }

    [Fact]
    public void Paged_states_of_tensors_with_at_least_1e5_elements_live_in_unified_memory_and_absmax_never()
    {
        var big = new ParameterTensor("w", "m.mlp.up_proj", TensorKind.MlpProjection, 0, 512, 256);     // 131,072 elements
        var small = new ParameterTensor("w", "m.mlp.up_proj", TensorKind.MlpProjection, 0, 256, 256);  // 65,536
        var paged = OptimizerSetup.FromName("paged_adamw_8bit");
        Assert.Equal([StatePlacement.Managed, StatePlacement.Managed, StatePlacement.Device, StatePlacement.Device],
            StateLayout.Describe(big, false, paged, Bf16, Hf).Select(s => s.Placement));
        Assert.All(StateLayout.Describe(small, false, paged, Bf16, Hf), s => Assert.Equal(StatePlacement.Device, s.Placement));
        Assert.Equal([StatePlacement.Managed, StatePlacement.Managed],
            StateLayout.Describe(big, false, OptimizerSetup.FromName("paged_ademamix_32bit"), Bf16, Hf).Select(s => s.Placement));
        var resident = StateLayout.Resident(big, false, paged, Bf16, Hf, AllocationRounding.CudaAllocated, paging: true, hostIsDevice: false);
        Assert.Equal(2 * 131_072, resident.Paged);
        Assert.Equal(2 * 131_072 + 2 * 2048, resident.Total);   // absmax: 512 blocks × 4 B = 2,048 B each, already 512-aligned
    }
}
