using GaLore.Planner.Adapters;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;

namespace GaLore.Profiler.Validation;

/// <summary>
/// The configurations <c>galore-plan validate</c> runs. The CPU matrix covers every optimizer name (each with and
/// without <c>_layerwise</c>), three model shapes (multi-head; grouped-query; grouped-query with tied embeddings and
/// q/k/v biases), fp32, bf16 and mixed precision, checkpointing on and off, both attention kinds, several ranks,
/// projection types, batches and sequence lengths — each large enough (≥ 150 MB measured) that allocator noise is
/// well under a percent.
/// </summary>
public static class ValidationMatrix
{
    /// <summary>A Mistral-style grouped-query model (8 query heads, 2 K/V heads), ≈ 57 M parameters.</summary>
    public static readonly ModelConfig MistralGqa = ModelConfig.Llama("mistral-gqa-57m", 32000, 512, 1536, 8, 8, kvHeads: 2,
        family: ModelFamilies.Mistral, maxPositions: 4096);

    /// <summary>A Qwen2-style model: grouped-query (8/4 heads), q/k/v biases, tied embeddings, ≈ 34 M parameters.</summary>
    public static readonly ModelConfig QwenTied = ModelConfig.Llama("qwen2-tied-34m", 32000, 512, 1408, 6, 8, kvHeads: 4, tie: true,
        family: ModelFamilies.Qwen2, qkvBias: true, maxPositions: 4096);

    /// <summary>llama-60m's shape with a 4,096-token vocabulary: the loss head no longer dominates, so peaks move into
    /// the blocks' backward, the checkpoint recomputation and the optimizer step.</summary>
    public static readonly ModelConfig LlamaSmallVocab = ModelPresets.Find("llama-60m")! with { Name = "llama-60m-v4k", VocabSize = 4096 };

    /// <summary>qwen2-tied-34m with a 4,096-token vocabulary.</summary>
    public static readonly ModelConfig QwenTiedSmallVocab = QwenTied with { Name = "qwen2-tied-34m-v4k", VocabSize = 4096 };

    /// <summary>The CPU validation matrix (65 configurations). The first 40 peak in the loss head (a 32,000-token
    /// vocabulary at 1,024 tokens per step); the next 17 are chosen so the predicted peak falls in every other phase:
    /// the optimizer step (embedding update, GaLore refresh), layerwise updates inside backward, the checkpoint
    /// recomputation, and the tied embedding's gradient accumulation; the last 8 train peft adapters (<see cref="AdapterRows"/>).</summary>
    public static IReadOnlyList<ValidationCase> Cpu()
    {
        var llama = ModelPresets.Find("llama-60m")!;
        var cases = new List<ValidationCase>();
        // Every optimizer name on a multi-head model, pure bf16.
        foreach (var o in OptimizerSpec.Names) cases.Add(ValidationCase.Of(llama, o, "bf16", 4, 256));
        // Grouped-query model in fp32: plain names without checkpointing, layerwise names with it.
        foreach (var o in OptimizerSpec.Names) cases.Add(ValidationCase.Of(MistralGqa, o, "fp32", 2, 256, checkpointing: o.EndsWith("_layerwise")));
        // Tied embeddings and biases, bf16, checkpointing.
        foreach (var o in new[] { "adamw", "adamw_8bit", "adafactor", "galore_adamw", "galore_adamw_8bit_layerwise", "galore_adafactor_layerwise" })
            cases.Add(ValidationCase.Of(QwenTied, o, "bf16", 4, 256, checkpointing: true));
        // Knobs: rank, projection type, mixed precision, attention kind, batch and sequence shape.
        cases.Add(ValidationCase.Of(llama, "galore_adamw", "bf16", 4, 256, rank: 16));
        cases.Add(ValidationCase.Of(llama, "galore_adamw", "bf16", 4, 256, rank: 256));
        cases.Add(ValidationCase.Of(llama, "galore_adamw", "fp32", 2, 256, projType: "reverse_std"));
        cases.Add(ValidationCase.Of(llama, "galore_adamw", "fp32", 2, 256, projType: "full"));
        cases.Add(ValidationCase.Of(llama, "adamw", "mixed", 4, 256));
        cases.Add(ValidationCase.Of(llama, "galore_adamw_8bit", "mixed", 4, 256, checkpointing: true));
        cases.Add(ValidationCase.Of(llama, "adamw", "bf16", 2, 512, attention: "math"));
        cases.Add(ValidationCase.Of(llama, "galore_adamw_layerwise", "fp32", 2, 256, attention: "math"));
        cases.Add(ValidationCase.Of(llama, "adamw_8bit", "bf16", 8, 128));
        cases.Add(ValidationCase.Of(llama, "galore_adafactor", "bf16", 1, 1024));
        // Peaks outside the loss head.
        var v4k = LlamaSmallVocab;
        var qv4k = QwenTiedSmallVocab;
        cases.Add(ValidationCase.Of(llama, "adamw", "fp32", 1, 256));                       // optimizer step: the embedding's update
        cases.Add(ValidationCase.Of(llama, "adafactor", "fp32", 1, 256));
        cases.Add(ValidationCase.Of(llama, "galore_adamw_8bit", "fp32", 1, 256));
        cases.Add(ValidationCase.Of(MistralGqa, "galore_adamw", "bf16", 1, 256));
        cases.Add(ValidationCase.Of(v4k, "galore_adamw", "fp32", 1, 256));                  // optimizer step: a block weight's SVD refresh
        cases.Add(ValidationCase.Of(v4k, "adamw", "fp32", 4, 256, checkpointing: true));    // backward of a recomputed block
        cases.Add(ValidationCase.Of(v4k, "galore_adamw", "fp32", 4, 256, checkpointing: true));
        cases.Add(ValidationCase.Of(v4k, "adafactor", "fp32", 4, 256, checkpointing: true));
        cases.Add(ValidationCase.Of(v4k, "galore_adamw_8bit_layerwise", "fp32", 4, 256, checkpointing: true));
        cases.Add(ValidationCase.Of(v4k, "galore_adamw_layerwise", "fp32", 1, 256, checkpointing: true));
        cases.Add(ValidationCase.Of(v4k, "adamw", "mixed", 4, 256, checkpointing: true));
        cases.Add(ValidationCase.Of(QwenTied, "adamw", "fp32", 1, 256));                    // the tied embedding's second gradient
        cases.Add(ValidationCase.Of(QwenTied, "galore_adamw_8bit", "bf16", 1, 256, checkpointing: true));
        cases.Add(ValidationCase.Of(qv4k, "adamw_layerwise", "fp32", 1, 256));              // a layerwise update inside a block's backward
        cases.Add(ValidationCase.Of(qv4k, "galore_adamw_layerwise", "fp32", 1, 256));
        cases.Add(ValidationCase.Of(qv4k, "galore_adamw_8bit_layerwise", "fp32", 1, 256));
        cases.Add(ValidationCase.Of(qv4k, "adafactor_layerwise", "fp32", 1, 256));
        cases.AddRange(AdapterRows());
        return cases;
    }

    /// <summary>
    /// Adapter fine-tuning (peft LoRA and DoRA, QLoRA's 4-bit NF4 base): the frozen base without gradients or states, float32
    /// adapters, the first block's input without grad (with it under checkpointing), dropout's noise, DoRA's identity, weight
    /// copy and norm, the 4-bit base's dequantized weight in forward and backward. The large vocabulary peaks in the loss
    /// head; the 4,096-token one in the blocks.
    /// </summary>
    public static IReadOnlyList<ValidationCase> AdapterRows()
    {
        var llama = ModelPresets.Find("llama-60m")!;
        var v4k = LlamaSmallVocab;
        var all = PeftTargets.Parse("all-linear");
        var lora = new AdapterSetup(PeftMethod.Lora);
        var dora = new AdapterSetup(PeftMethod.Dora, 16, 32, Targets: all);
        var qlora = new AdapterSetup(PeftMethod.Lora, 16, 32, Targets: all, Quant: BaseQuant.Nf4, DoubleQuant: true);
        return
        [
            ValidationCase.Of(llama, "adamw", "bf16", 4, 256, adapters: lora),
            ValidationCase.Of(llama, "adamw", "bf16", 4, 256, adapters: lora with { Rank = 16, Alpha = 32, Dropout = 0.05, Targets = all }),
            ValidationCase.Of(MistralGqa, "adamw_8bit", "fp32", 2, 256, checkpointing: true, adapters: lora with { Targets = all }),
            ValidationCase.Of(llama, "adamw", "bf16", 4, 256, adapters: dora),
            ValidationCase.Of(v4k, "adamw", "fp32", 4, 256, adapters: dora with { Dropout = 0.1, Targets = PeftTargets.Parse("q_proj,v_proj,down_proj") }),
            ValidationCase.Of(llama, "adamw", "bf16", 4, 256, adapters: qlora),
            ValidationCase.Of(llama, "adamw", "bf16", 4, 256, checkpointing: true, adapters: qlora with { DoubleQuant = false, Targets = null, Rank = 8, Alpha = 8 }),
            ValidationCase.Of(v4k, "adamw", "bf16", 8, 256, adapters: qlora),
        ];
    }

    /// <summary>
    /// The CUDA matrix (one H100/H200, ≈ 8 minutes): the 7B Llama with <c>galore_adamw_8bit_layerwise</c> in BF16 at batch 1 ×
    /// 256, every optimizer name on llama-1b, grouped-query and large-vocabulary 7–8B models, mixed precision,
    /// checkpointing, math attention, a measured projector refresh on llama-350m, and four runs under an artificial
    /// memory cap (a little below and a little above the predicted peak) that test the fit/no-fit verdict. Refreshes
    /// are kept out of the window of the large models (hundreds of SVDs would take minutes).
    /// </summary>
    public static IReadOnlyList<ValidationCase> Cuda()
    {
        var b1 = ModelPresets.Find("llama-1b")!;
        var cases = new List<ValidationCase>
        {
            ValidationCase.Of(ModelPresets.Find("llama-7b")!, "galore_adamw_8bit_layerwise", "bf16", 1, 256, rank: 128, measureRefresh: false),
        };
        foreach (var o in OptimizerSpec.Names) cases.Add(ValidationCase.Of(b1, o, "bf16", 2, 512, rank: 128, measureRefresh: false));
        cases.Add(ValidationCase.Of(b1, "adamw", "mixed", 2, 512, measureRefresh: false));
        cases.Add(ValidationCase.Of(b1, "galore_adamw", "fp32", 2, 512, checkpointing: true, rank: 128, measureRefresh: false));
        cases.Add(ValidationCase.Of(ModelPresets.Find("llama-350m")!, "adamw", "bf16", 4, 1024, attention: "math", measureRefresh: false));
        cases.Add(ValidationCase.Of(ModelPresets.Find("llama-350m")!, "galore_adamw", "bf16", 4, 512, rank: 128));
        cases.Add(ValidationCase.Of(ModelPresets.Find("mistral-7b")!, "galore_adamw_8bit_layerwise", "bf16", 1, 512, checkpointing: true, rank: 128, measureRefresh: false));
        cases.Add(ValidationCase.Of(ModelPresets.Find("llama-3-8b")!, "galore_adamw_8bit_layerwise", "bf16", 1, 256, rank: 128, measureRefresh: false));
        // Fit verdicts at a capacity just below and just above the predicted peak.
        foreach (var (opt, batch) in new[] { ("galore_adamw_8bit_layerwise", 4), ("adamw", 2) })
        {
            var c = ValidationCase.Of(b1, opt, "bf16", batch, 512, rank: 128, measureRefresh: false);
            var h100 = GaLore.Planner.Devices.DeviceProfile.Cuda(9.0);
            long predicted = ValidationRow.Predict(c, h100).ReservedBytes - h100.CublasWorkspaceBytes; // above the baseline
            cases.Add(c with { MemoryCapBytes = (long)(predicted * 0.93) });
            cases.Add(c with { MemoryCapBytes = (long)(predicted * 1.07) });
        }
        return cases;
    }

    /// <summary>Three CUDA configurations for a first check of a new GPU machine (about a minute).</summary>
    public static IReadOnlyList<ValidationCase> CudaQuick()
    {
        var small = ModelPresets.Find("llama-130m")!;
        return [ValidationCase.Of(small, "adamw", "bf16", 4, 512), ValidationCase.Of(small, "galore_adamw_8bit_layerwise", "bf16", 4, 512, rank: 64),
            ValidationCase.Of(small, "galore_adamw", "fp32", 2, 512, checkpointing: true, rank: 64)];
    }

    /// <summary>Two small configurations for smoke tests (seconds, not minutes).</summary>
    public static IReadOnlyList<ValidationCase> Smoke()
    {
        var small = ModelConfig.Llama("smoke-gqa", 2048, 128, 352, 2, 4, kvHeads: 2, maxPositions: 512);
        return [ValidationCase.Of(small, "galore_adamw", "fp32", 2, 64, rank: 16), ValidationCase.Of(small, "adamw_8bit_layerwise", "bf16", 2, 64, checkpointing: true)];
    }

    /// <summary>A matrix by name: <c>cpu</c>, <c>cuda</c>, <c>cuda-quick</c> or <c>smoke</c>.</summary>
    public static IReadOnlyList<ValidationCase> Named(string name) => name switch
    {
        "cpu" => Cpu(),
        "cuda" => Cuda(),
        "cuda-quick" => CudaQuick(),
        "smoke" => Smoke(),
        _ => throw new GaLore.Planner.PlannerInputException($"unknown matrix '{name}': use cpu, cuda, cuda-quick or smoke"),
    };
}
