using GaLore.Planner.Runtime;
using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;

namespace GaLore.Planner.Tests;

/// <summary>Optimizer-state bytes of the tiny preset, derived by hand tensor by tensor.</summary>
public class StateLayoutTests
{
    // tiny: V=512, h=64, i=176, L=2, heads 4, kv heads 2 (head_dim 16, k/v width 32), untied; 158,016 parameters.
    static readonly ModelConfig Tiny = ModelPresets.Find("tiny")!;
    static readonly Precision Bf16 = new(PrecisionMode.Bf16), Fp32 = new(PrecisionMode.Fp32);

    static long Total(string optimizer, Precision p, int rank = 8)
    {
        var setup = OptimizerSetup.FromName(optimizer, GaLoreSettings.Default with { Rank = rank });
        var table = ParameterTable.Build(Tiny);
        var mask = setup.SelectGaLore(table);
        return table.Select((t, k) => StateLayout.Bytes(t, mask[k], setup, p, RuntimeProfile.TorchSharpKernels)).Sum();
    }

    [Fact]
    public void AdamW_keeps_two_moments_in_the_gradient_dtype()
    {
        Assert.Equal(2 * 158_016 * 2, Total("adamw", Bf16));
        Assert.Equal(2 * 158_016 * 4, Total("adamw", Fp32));
    }

    [Fact]
    public void AdamW_8bit_keeps_uint8_codes_and_block_absmax_and_float32_below_4096_elements_and_for_the_embedding()
    {
        // ≥ 4096 elements: 2n + 2·4·⌈n/256⌉;  < 4096: 2·4·n. Hugging Face's Trainer registers every nn.Embedding weight
        // with bitsandbytes' GlobalOptimManager for optim_bits=32 (Trainer.create_optimizer), so embed_tokens keeps 32-bit
        // states; lm_head is an nn.Linear and stays 8-bit. (Before, the planner gave the embedding 8-bit states too.)
        long embed = 8 * 32768;                     // 262,144: float32 state1/state2
        long lmHead = 2 * 32768 + 8 * 128;          // 66,560
        long q = 2 * 4096 + 8 * 16;                 // 8,320 (also o_proj)
        long kv = 8 * 2048;                         // 16,384: k_proj and v_proj have 2,048 < 4,096 elements
        long mlp = 2 * 11264 + 8 * 44;              // 22,880 (gate, up, down)
        long norm = 8 * 64;                         // 512 (five norms)
        long expected = embed + lmHead + 2 * (2 * q + 2 * kv + 3 * mlp) + 5 * norm;
        Assert.Equal(expected, Total("adamw_8bit", Bf16));
        Assert.Equal(expected, Total("adamw_8bit", Fp32)); // 8-bit states do not depend on the model dtype
    }

    [Fact]
    public void Adafactor_keeps_float32_row_and_column_statistics()
    {
        long matrices = 2 * (512 + 64)                       // embed, lm_head
                        + 2 * ((64 + 64) * 2 + (32 + 64) * 2 // q, o; k, v
                               + (176 + 64) * 3);            // gate, up, down
        long vectors = 5 * 64;
        Assert.Equal(4 * (matrices + vectors), Total("adafactor", Bf16));
    }

    [Fact]
    public void GaLore_AdamW_keeps_low_rank_moments_and_a_projector_in_bf16()
    {
        // rank 8, std: tall/square → right (R = m×8, Q = 8×n); wide → left (R = 8×n, P = m×8).
        long q = 2 * 2 * (64 * 8) + 2 * (8 * 64);     // 3,072 (o_proj the same)
        long k = 2 * 2 * (8 * 64) + 2 * (32 * 8);     // 2,560 (v_proj the same)
        long gateUp = 2 * 2 * (176 * 8) + 2 * (8 * 64); // 6,656
        long down = 2 * 2 * (8 * 176) + 2 * (64 * 8);   // 6,656
        long norms = 2 * 2 * 64;                          // 256 each, plain AdamW
        long perLayer = 2 * q + 2 * k + 2 * gateUp + down + 2 * norms;
        long expected = 2 * perLayer + 2 * (2 * 2 * 32768) + norms;
        Assert.Equal(expected, Total("galore_adamw", Bf16));
    }

    [Fact]
    public void GaLore_Adafactor_projector_is_float32_because_the_gradient_is_upcast_first()
    {
        var t = new ParameterTensor("w", "m.mlp.up_proj", TensorKind.MlpProjection, 0, 176, 64);
        var states = StateLayout.Describe(t, true, OptimizerSetup.FromName("galore_adafactor", GaLoreSettings.Default with { Rank = 8 }), Bf16, RuntimeProfile.TorchSharpKernels);
        Assert.Equal([("projector", 512L, DType.Float32), ("exp_avg_sq_row", 176, DType.Float32), ("exp_avg_sq_col", 8, DType.Float32)],
            states.Select(s => (s.Name, s.Elements, s.Type)));
    }

    [Theory]
    [InlineData("galore_adamw")]
    [InlineData("galore_adamw_8bit")]
    [InlineData("galore_adafactor")]
    public void Full_rank_std_GaLore_equals_its_base_optimizer_plus_the_projector(string name)
    {
        foreach (var (m, n) in new[] { (96L, 32L), (32L, 96L), (64L, 64L), (300L, 200L) })
        {
            var t = new ParameterTensor("w", "x.attn", TensorKind.AttentionProjection, 0, m, n);
            var galore = OptimizerSetup.FromName(name, GaLoreSettings.Default with { Rank = (int)Math.Min(m, n) });
            var plain = galore with { Spec = OptimizerCatalog.Find(galore.Spec.Model, false, galore.Spec.Layerwise)! };
            var projector = StateLayout.Describe(t, true, galore, Bf16, RuntimeProfile.TorchSharpKernels).Single(s => s.Name == "projector").Bytes;
            long lowRank = StateLayout.Bytes(t, true, galore, Bf16, RuntimeProfile.TorchSharpKernels) - projector;
            long full = StateLayout.Bytes(t, false, plain, Bf16, RuntimeProfile.TorchSharpKernels);
            Assert.Equal(full, lowRank); // std at rank min(m,n): R is m×n either way
            Assert.Equal(Math.Min(m, n) * Math.Min(m, n) * galore.Spec.Model.ComputeType(Bf16).Bits() / 8, projector);
        }
    }
}
