using GaLore.Planner.Adapters;
using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models;
using GaLore.Planner.Models.Layout;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Tests.Adapters;

public class AdapterStepTests
{
    static readonly ModelConfig Tiny = ModelPresets.Find("tiny")!;

    static StepSpec Spec(AdapterSetup a, string optimizer = "adamw", PrecisionMode mode = PrecisionMode.Bf16, bool checkpointing = false,
        ModelConfig? model = null, RuntimeProfile? runtime = null) =>
        new StepSpec(model ?? Tiny, OptimizerSetup.FromName(optimizer), new Precision(mode), checkpointing, AttentionKind.Sdpa,
            runtime ?? RuntimeProfile.TorchSharpKernels) { Adapters = a };

    // tiny: V 512, h 64, i 176, 2 layers, 4 heads of 16, 2 K/V heads (k/v 32 wide); 158,016 base parameters.
    // LoRA r = 4 on q_proj (64×64) and v_proj (32×64): A 4×64 + B 64×4 = 512, A 4×64 + B 32×4 = 384; 896 per layer, 1,792 in all.
    const long BaseParams = 158_016, AdapterParams = 1_792;

    [Fact]
    public void Frozen_base_keeps_weights_only_and_float32_adapters_keep_weights_gradients_and_adamw_moments()
    {
        var program = StepCompiler.Compile(Spec(new AdapterSetup(PeftMethod.Lora, 4)));
        Assert.Equal(BaseParams * 2 + AdapterParams * 4, program.Persistent.Weights);        // bf16 base, float32 adapters
        Assert.Equal(AdapterParams * 2 * 4, program.Persistent.OptimizerStates);             // exp_avg, exp_avg_sq in float32, adapters only
        var peak = program.Evaluate(64, 16);
        Assert.InRange(peak.AtPeak.Gradients, 0, AdapterParams * 4);                         // at most every adapter's float32 .grad
        var fp32 = StepCompiler.Compile(Spec(new AdapterSetup(PeftMethod.Lora, 4), "adamw_8bit", PrecisionMode.Fp32));
        Assert.Equal((BaseParams + AdapterParams) * 4, fp32.Persistent.Weights);
        // bitsandbytes 8-bit states per adapter tensor: uint8 codes ×2 plus a float32 absmax per 256 per state — but every
        // adapter tensor here has fewer than 4,096 elements (min_8bit_size), so they stay 32-bit: 8 B per element.
        Assert.Equal(AdapterParams * 8, fp32.Persistent.OptimizerStates);
    }

    [Fact]
    public void Quantized_base_storage_is_derived_by_hand_on_the_tiny_model()
    {
        // NF4, no double quant, per weight: n/2 codes + 4·⌈n/64⌉ absmax + 64 B code table.
        //   q, o (64×64 = 4,096):    2,048 + 256 + 64 = 2,368    k, v (32×64 = 2,048): 1,024 + 128 + 64 = 1,216
        //   gate, up, down (11,264): 5,632 + 704 + 64 = 6,400    per layer 2·2,368 + 2·1,216 + 3·6,400 = 26,368
        // Kept in bf16: embed_tokens and lm_head (2 · 32,768 · 2 B) and the norms (5 · 64 · 2 B) = 131,712; adapters 1,792 · 4.
        var nf4 = StepCompiler.Compile(Spec(new AdapterSetup(PeftMethod.Lora, 4, Quant: BaseQuant.Nf4)));
        Assert.Equal(2 * 26_368 + 131_712 + AdapterParams * 4, nf4.Persistent.Weights);
        // Double quant: n/2 + ⌈n/64⌉ uint8 + 4 offset + 4·⌈⌈n/64⌉/256⌉ + 1,024 (a copy of the dynamic map) + 64.
        //   q, o: 2,048 + 64 + 4 + 4 + 1,024 + 64 = 3,208   k, v: 1,024 + 32 + 4 + 4 + 1,088 = 2,152   MLP: 5,632 + 176 + 1,096 = 6,904
        var dq = StepCompiler.Compile(Spec(new AdapterSetup(PeftMethod.Lora, 4, Quant: BaseQuant.Nf4, DoubleQuant: true)));
        Assert.Equal(2 * (2 * 3_208 + 2 * 2_152 + 3 * 6_904) + 131_712 + AdapterParams * 4, dq.Persistent.Weights);
        // int8: n int8 + 4 B per row.
        var int8 = StepCompiler.Compile(Spec(new AdapterSetup(PeftMethod.Lora, 4, Quant: BaseQuant.Int8)));
        long perLayer = 2 * (4_096 + 256) + 2 * (2_048 + 128) + 2 * (11_264 + 704) + (11_264 + 256);
        Assert.Equal(2 * perLayer + 131_712 + AdapterParams * 4, int8.Persistent.Weights);
    }

    [Fact]
    public void Bits_per_weight_match_bitsandbytes_block_layout()
    {
        long n = 4096L * 4096;
        Assert.Equal(0.5625, (QuantizedStorage.Bytes(BaseQuant.Nf4, false, 4096, 4096) - 64) / (double)n, 12);        // 4 + 32/64 bits
        Assert.Equal(0.5 + 1.0 / 64 + 4.0 / (64 * 256), (QuantizedStorage.Bytes(BaseQuant.Nf4, true, 4096, 4096) - 4 - 1024 - 64) / (double)n, 12);
    }

    [Fact]
    public void No_base_parameter_gets_a_gradient_or_an_update()
    {
        var s = Spec(new AdapterSetup(PeftMethod.Dora, 4));
        var labels = StepCompiler.Compile(s, compact: false).Trace(64, 16).Select(x => x.Label).ToList();
        var grads = labels.Where(l => l.Contains("grad of ")).Select(l => l[(l.IndexOf("grad of ", StringComparison.Ordinal) + 8)..]).Distinct().ToList();
        Assert.NotEmpty(grads);
        Assert.All(grads, g => Assert.True(AdapterRoles.IsTrainable(g.Split(' ', ':')[0]), g));
        var updates = labels.Where(l => l.StartsWith("optimizer step: update ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2 * 2 * 3, updates.Count);                                             // 2 layers × (q, v) × (A, B, magnitude)
    }

    [Fact]
    public void The_first_block_input_requires_grad_only_under_checkpointing()
    {
        var block = StepCompiler.GraphOf(Spec(new AdapterSetup(PeftMethod.Lora, 4)), PartKind.Block);
        Assert.False(block.Input!.RequiresGrad);        // embedding frozen: no enable_input_require_grads without checkpointing
        Assert.True(block.Output!.RequiresGrad);        // q_proj's adapter makes the rest of the block require grad
        var ckpt = StepCompiler.GraphOf(Spec(new AdapterSetup(PeftMethod.Lora, 4), checkpointing: true), PartKind.Block);
        Assert.True(ckpt.Input!.RequiresGrad);
        // A target in layer 1 only: layer 0 is wholly frozen, its output needs no gradient.
        var late = Spec(new AdapterSetup(PeftMethod.Lora, 4, Targets: PeftTargets.Parse("regex:.*layers\\.1\\.self_attn\\.q_proj")));
        Assert.False(StepCompiler.GraphOf(late, PartKind.Block).Output!.RequiresGrad);
        Assert.True(StepCompiler.Compile(late).Evaluate(64, 16).PeakBytes > 0);
    }

    static OpGraph OneLinear(AdapterSetup a, PrecisionMode mode, out long perTokenInput)
    {
        var layout = AdapterTransform.Apply(Tiny.Layout(), a, RuntimeProfile.TorchSharpKernels.FourBitDequantScratchBytes);
        var peft = layout.PartAt(1, inputRequiresGrad: true, outputRequiresGrad: false);
        var x = new GraphContext(new Precision(mode), RuntimeProfile.TorchSharpKernels.Flavor, AttentionKind.Sdpa) { Adapters = peft };
        var b = new GraphBuilder("q_proj only");
        var w = b.Param("q_proj");
        perTokenInput = x.ActivationBytes * 64;
        var input = b.Input("x", Extent.Tokens(perTokenInput));
        var y = GraphParts.Linear(b, x, "q_proj", input, 64, 64, w, null);
        return FrozenGraph.Apply(b.Build(y), peft);
    }

    [Fact]
    public void A_lora_linear_saves_the_float32_input_copy_and_lora_As_output_and_nothing_for_the_frozen_weight()
    {
        // bf16: x.to(float32) (64 · 4 B) saved by lora_A, lora_A's float32 output (4 · 4 B) saved by lora_B; the base matmul keeps nothing.
        var g = OneLinear(new AdapterSetup(PeftMethod.Lora, 4), PrecisionMode.Bf16, out _);
        Assert.Equal(Extent.Tokens(64 * 4 + 4 * 4), g.SavedSize());
        // fp32: the input is already float32 and is what lora_A saves (the input itself).
        Assert.Equal(Extent.Tokens(64 * 4 + 4 * 4), OneLinear(new AdapterSetup(PeftMethod.Lora, 4), PrecisionMode.Fp32, out _).SavedSize());
        // Dropout adds its bool mask (1 B per input feature); lora_A then saves the dropped-out copy instead.
        Assert.Equal(Extent.Tokens(64 * 4 + 64 + 4 * 4), OneLinear(new AdapterSetup(PeftMethod.Lora, 4, Dropout: 0.1), PrecisionMode.Bf16, out _).SavedSize());
        Assert.Equal(new[] { "q_proj.lora_A", "q_proj.lora_B" }, g.Ops.SelectMany(o => o.Params).Select(p => p.Name));
    }

    [Fact]
    public void A_dora_linear_also_saves_the_base_result_and_the_lora_result_for_the_magnitude()
    {
        // Beyond LoRA's 272 B: base_result (bf16, 64 · 2) for (m − 1)·base_result, lora_result (float32, 64 · 4) for m·lora_result;
        // and per layer the out-sized float32 weight norm, m and m − 1.
        var g = OneLinear(new AdapterSetup(PeftMethod.Dora, 4), PrecisionMode.Bf16, out _);
        Assert.Equal(new Extent(3 * 64 * 4, 272 + 64 * 2 + 64 * 4, 0), g.SavedSize());
    }

    [Fact]
    public void A_dora_forward_holds_the_identity_the_lora_weight_and_the_float32_weight_norm_terms()
    {
        // The DoRA forward of q_proj (64×64, r 4, bf16 base): eye (64² · 4), lora_A(eye) (64 · 4 · 4), lora_B(·) (64 · 64 · 4),
        // W.to(float32), scaling·lora_weight and their sum (3 · 64 · 64 · 4) alive together at the sum.
        var lora = StepCompiler.Compile(Spec(new AdapterSetup(PeftMethod.Lora, 4, Targets: PeftTargets.Parse("q_proj"))), compact: false);
        var dora = StepCompiler.Compile(Spec(new AdapterSetup(PeftMethod.Dora, 4, Targets: PeftTargets.Parse("q_proj"))), compact: false);
        long AtSum(StepProgram p) => p.Trace(1, 1).First(x => x.Label.Contains("W + scaling·lora_weight: ")).TotalBytes;
        long before = dora.Trace(1, 1).First(x => x.Label.Contains("DoRA torch.eye")).TotalBytes - 64 * 64 * 4;
        Assert.Equal(64 * 64 * 4 + 64 * 4 * 4 + 64 * 64 * 4 + 3 * 64 * 64 * 4, AtSum(dora) - before);
        Assert.True(dora.Evaluate(1, 1).PeakBytes > lora.Evaluate(1, 1).PeakBytes);
    }

    [Fact]
    public void A_4_bit_base_dequantizes_its_weight_in_forward_and_backward()
    {
        var g = OneLinear(new AdapterSetup(PeftMethod.Lora, 4, Quant: BaseQuant.Nf4), PrecisionMode.Bf16, out _);
        var matmul = g.Ops.Single(o => o.Name.Contains("4-bit"));
        long scratch = RuntimeProfile.TorchSharpKernels.FourBitDequantScratchBytes;
        Assert.Equal(Extent.Fixed(64 * 64 * 2 + scratch), matmul.ForwardScratch);     // W in the compute (input) dtype
        Assert.Equal(Extent.Fixed(64 * 64 * 2 + scratch), matmul.BackwardScratch);    // W in the stored dtype = the gradient's
        Assert.Empty(matmul.Saved);                                                    // MatMul4Bit keeps only the packed weight
        Assert.Contains(g.Ops, o => o.Name.Contains("clone"));                         // lora.bnb.Linear4bit clones the base result
    }

    [Fact]
    public void GaLore_and_APOLLO_names_are_refused_with_adapters()
    {
        var e = Assert.Throws<PlannerInputException>(() => StepCompiler.Compile(Spec(new AdapterSetup(PeftMethod.Lora), "galore_adamw")));
        Assert.Contains("no combination", e.Message);
    }

    [Fact]
    public void The_step_with_adapters_round_trips_through_json()
    {
        var s = Spec(new AdapterSetup(PeftMethod.Dora, 16, 32, 0.05, PeftTargets.Parse("all-linear"), BaseQuant.Nf4, true));
        var back = StepSpecJson.Deserialize(StepSpecJson.Serialize(s));
        Assert.Equal(s.Adapters, back.Adapters);
        Assert.Null(StepSpecJson.Deserialize(StepSpecJson.Serialize(s with { Adapters = null })).Adapters);
        Assert.Contains("\"quant\":\"nf4\"", StepSpecJson.Serialize(s));
    }

    [Fact]
    public void QLoRA_fits_a_7b_llama_in_a_fraction_of_what_lora_on_a_bf16_base_needs()
    {
        var m = ModelPresets.Find("llama-7b")!;
        var lora = StepCompiler.Compile(Spec(new AdapterSetup(PeftMethod.Lora), model: m, runtime: RuntimeProfile.PyTorchReference));
        var qlora = StepCompiler.Compile(Spec(new AdapterSetup(PeftMethod.Lora, Quant: BaseQuant.Nf4, DoubleQuant: true), model: m,
            runtime: RuntimeProfile.PyTorchReference));
        // 6,476,005,376 Linear weights at 0.5159 B, 262,410,240 embedding/lm_head/norm parameters in bf16, adapters in float32.
        Assert.InRange(qlora.Persistent.Weights / (double)(1L << 30), 3.55, 3.7);
        Assert.InRange(lora.Persistent.Weights / (double)(1L << 30), 12.55, 12.6);
        Assert.True(qlora.Evaluate(256, 256).PeakBytes < lora.Evaluate(256, 256).PeakBytes / 2);
    }
}
