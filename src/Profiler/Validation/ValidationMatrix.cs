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

    /// <summary>The CPU validation matrix: 57 Llama-family configurations with the core optimizers, the other optimizer
    /// families' rows (<see cref="OptimizerFamilyRows"/>), the peft adapter rows (<see cref="AdapterRows"/>), the dense
    /// families' rows (<see cref="FamilyValidation.Rows"/>) and the mixture-of-experts rows (<see cref="MoeRows"/>). Of the
    /// Llama ones, the first 40 peak in the loss head (a 32,000-token
    /// vocabulary at 1,024 tokens per step); the next 17 are chosen so the predicted peak falls in every other phase:
    /// the optimizer step (embedding update, GaLore refresh), layerwise updates inside backward, the checkpoint
    /// recomputation, and the tied embedding's gradient accumulation.</summary>
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
        cases.AddRange(OptimizerFamilyRows());
        cases.AddRange(AdapterRows());
        cases.AddRange(FamilyValidation.Rows());
        cases.AddRange(MoeRows());
        return cases;
    }

    /// <summary>A Mixtral-style mixture of experts: 16 experts, top-2, grouped-query attention, a 4,096-token vocabulary
    /// (so the peaks fall in the blocks and the optimizer step too), ≈ 32 M parameters in 2 layers. Many experts and few
    /// layers give a large memory per unit of compute: each token runs k = 2 of the 16 experts.</summary>
    public static readonly ModelConfig MoeMixtral = HfConfigLoader.Parse("""
        { "model_type": "mixtral", "vocab_size": 4096, "hidden_size": 384, "intermediate_size": 768, "num_hidden_layers": 2,
          "num_attention_heads": 6, "num_key_value_heads": 2, "num_local_experts": 16, "num_experts_per_tok": 2, "max_position_embeddings": 4096 }
        """, "moe-mixtral-32m");

    /// <summary>A Qwen2-MoE-style model: 16 experts, top-2, a gated shared expert, q/k/v biases, its last layer dense
    /// (<c>mlp_only_layers</c>), ≈ 20 M parameters.</summary>
    public static readonly ModelConfig MoeQwen2 = HfConfigLoader.Parse("""
        { "model_type": "qwen2_moe", "vocab_size": 4096, "hidden_size": 384, "intermediate_size": 1024, "num_hidden_layers": 3,
          "num_attention_heads": 6, "num_key_value_heads": 6, "num_experts": 16, "num_experts_per_tok": 2, "moe_intermediate_size": 384,
          "shared_expert_intermediate_size": 512, "mlp_only_layers": [2], "max_position_embeddings": 4096 }
        """, "moe-qwen2-20m");

    /// <summary>A Qwen3-MoE-style model: 32 experts, top-4 renormalised, per-head q/k norms with head_dim 96 ≠ h / heads,
    /// ≈ 23 M parameters.</summary>
    public static readonly ModelConfig MoeQwen3 = HfConfigLoader.Parse("""
        { "model_type": "qwen3_moe", "vocab_size": 4096, "hidden_size": 384, "intermediate_size": 1024, "num_hidden_layers": 2,
          "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 96, "num_experts": 32, "num_experts_per_tok": 4,
          "moe_intermediate_size": 256, "norm_topk_prob": true, "max_position_embeddings": 4096 }
        """, "moe-qwen3-23m");

    /// <summary>An OLMoE-style model: 64 experts, top-4, q/k norms over the whole projections, ≈ 32 M parameters.</summary>
    public static readonly ModelConfig MoeOlmoe = HfConfigLoader.Parse("""
        { "model_type": "olmoe", "vocab_size": 4096, "hidden_size": 384, "intermediate_size": 192, "num_hidden_layers": 2,
          "num_attention_heads": 6, "num_experts": 64, "num_experts_per_tok": 4, "max_position_embeddings": 4096 }
        """, "moe-olmoe-32m");

    /// <summary>The same model laid out as transformers 4.x does (one Linear per expert, an nn.Linear router), named apart.</summary>
    static ModelConfig Transformers4(ModelConfig m) => m with { Name = m.Name + "-t4", Moe = m.Moe! with { Layout = MoeLayout.PerExpert } };

    /// <summary>The mixture-of-experts rows (keys start with <c>moe-</c>): every family (all top-k &gt; 1) with plain, 8-bit,
    /// Adafactor, GaLore and layerwise optimizers, in both transformers layouts (under 4.x <c>attn,mlp</c> also projects
    /// Qwen's and OLMoE's experts; Mixtral's need <c>all-linear</c>), fp32, bf16 and mixed, with and without checkpointing.</summary>
    public static IReadOnlyList<ValidationCase> MoeRows()
    {
        var mixtral4 = Transformers4(MoeMixtral);
        var qwen2x4 = Transformers4(MoeQwen2);
        var qwen3x4 = Transformers4(MoeQwen3);
        var olmoe4 = Transformers4(MoeOlmoe);
        return
        [
            ValidationCase.Of(MoeMixtral, "adamw", "fp32", 2, 256),
            ValidationCase.Of(MoeMixtral, "adamw_8bit", "bf16", 2, 256),
            ValidationCase.Of(MoeMixtral, "adafactor", "bf16", 2, 256, checkpointing: true),
            ValidationCase.Of(MoeMixtral, "galore_adamw", "bf16", 2, 256),
            ValidationCase.Of(MoeMixtral, "galore_adamw_8bit_layerwise", "fp32", 2, 256),
            ValidationCase.Of(mixtral4, "galore_adamw", "fp32", 2, 256, targets: "all-linear"),
            ValidationCase.Of(mixtral4, "adafactor_layerwise", "fp32", 2, 256),
            ValidationCase.Of(MoeQwen2, "adamw", "bf16", 2, 256),
            ValidationCase.Of(MoeQwen2, "galore_adamw_8bit", "fp32", 2, 256),
            ValidationCase.Of(MoeQwen2, "galore_adafactor_layerwise", "fp32", 4, 256, checkpointing: true),
            ValidationCase.Of(qwen2x4, "galore_adamw", "fp32", 2, 256),
            ValidationCase.Of(qwen2x4, "adamw_8bit_layerwise", "mixed", 2, 256),
            ValidationCase.Of(MoeQwen3, "adamw", "mixed", 2, 256),
            ValidationCase.Of(MoeQwen3, "galore_adamw_layerwise", "fp32", 2, 256),
            ValidationCase.Of(MoeQwen3, "adamw_8bit", "bf16", 2, 256, checkpointing: true),
            ValidationCase.Of(qwen3x4, "galore_adamw_8bit", "fp32", 2, 256),
            ValidationCase.Of(qwen3x4, "adafactor", "fp32", 2, 256),
            ValidationCase.Of(MoeOlmoe, "adamw", "bf16", 2, 256),
            ValidationCase.Of(MoeOlmoe, "galore_adafactor", "bf16", 2, 256),
            ValidationCase.Of(MoeOlmoe, "adamw_8bit_layerwise", "fp32", 2, 256),
            ValidationCase.Of(olmoe4, "galore_adamw", "fp32", 2, 256),
            ValidationCase.Of(olmoe4, "galore_adafactor_layerwise", "fp32", 2, 256, checkpointing: true),
        ];
    }

    /// <summary>
    /// The families added for Hugging Face's other <c>optim</c> names that train here: APOLLO and APOLLO-Mini (also layerwise,
    /// which HF allows), Lion, SGD with momentum, AdEMAMix, schedule-free AdamW, LOMO, torchao-style 4-bit AdamW, Adagrad and
    /// RMSprop. Each twice: bf16 at 1,024 tokens (the loss head's peak, with the family's states beneath it) and fp32 at 256
    /// (peaks in the optimizer step or inside backward, where the family's transients sit).
    /// </summary>
    public static IReadOnlyList<ValidationCase> OptimizerFamilyRows()
    {
        var llama = ModelPresets.Find("llama-60m")!;
        var v4k = LlamaSmallVocab;
        var qv4k = QwenTiedSmallVocab;
        const string mini = "scale_type=tensor";
        return
        [
            ValidationCase.Of(llama, "apollo_adamw", "bf16", 4, 256, scale: 1.0),
            ValidationCase.Of(llama, "apollo_adamw", "fp32", 1, 256, scale: 1.0),
            ValidationCase.Of(v4k, "apollo_adamw_layerwise", "fp32", 4, 256, checkpointing: true, scale: 1.0),
            ValidationCase.Of(llama, "apollo_adamw", "bf16", 4, 256, rank: 1, scale: 128, optimArgs: mini),
            ValidationCase.Of(MistralGqa, "apollo_adamw", "fp32", 1, 256, rank: 1, scale: 128, optimArgs: mini),
            ValidationCase.Of(qv4k, "apollo_adamw_layerwise", "fp32", 1, 256, rank: 1, scale: 128, optimArgs: mini),
            ValidationCase.Of(llama, "lion_32bit", "bf16", 4, 256),
            ValidationCase.Of(llama, "lion_32bit", "fp32", 1, 256),
            ValidationCase.Of(llama, "sgd", "bf16", 4, 256, optimArgs: "momentum=0.9"),
            ValidationCase.Of(llama, "sgd", "fp32", 1, 256, optimArgs: "momentum=0.9,nesterov=True"),
            ValidationCase.Of(llama, "ademamix", "bf16", 4, 256),
            ValidationCase.Of(llama, "ademamix", "fp32", 1, 256),
            ValidationCase.Of(llama, "schedule_free_adamw", "bf16", 4, 256),
            ValidationCase.Of(llama, "schedule_free_adamw", "fp32", 1, 256),
            ValidationCase.Of(llama, "lomo", "bf16", 4, 256),
            ValidationCase.Of(qv4k, "lomo", "fp32", 1, 256),
            ValidationCase.Of(llama, "adamw_torch_4bit", "bf16", 4, 256),
            ValidationCase.Of(llama, "adamw_torch_4bit", "fp32", 1, 256),
            ValidationCase.Of(llama, "adagrad", "fp32", 1, 256),
            ValidationCase.Of(llama, "rmsprop", "fp32", 1, 256, optimArgs: "momentum=0.9,centered=True"),
        ];
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
    /// The CUDA matrix (one H200, the lent GPU machine; its run time is unmeasured): the 7B Llama with <c>galore_adamw_8bit_layerwise</c> in BF16 at batch 1 ×
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

    /// <summary>
    /// What one lent GPU session measures of this project's kernels after the reference stack (scripts/gpu/run-cuda-validation.sh
    /// runs it under a time limit, cheapest first after the 7B row): the 7B Llama the issue names, plain optimizers on llama-1b
    /// (no SVD), GaLore on llama-350m with a measured refresh and on llama-1b without, fp32 GaLore, and the four capped runs of
    /// <see cref="Cuda"/>. Rows not reached are measured by <see cref="Cuda"/> in a later session (validate --resume).
    /// </summary>
    public static IReadOnlyList<ValidationCase> CudaSession()
    {
        var b1 = ModelPresets.Find("llama-1b")!;
        var m350 = ModelPresets.Find("llama-350m")!;
        var cases = new List<ValidationCase>
        {
            ValidationCase.Of(ModelPresets.Find("llama-7b")!, "galore_adamw_8bit_layerwise", "bf16", 1, 256, rank: 128, measureRefresh: false),
        };
        foreach (var o in new[] { "adamw", "adamw_8bit", "adafactor", "adamw_layerwise" })
            cases.Add(ValidationCase.Of(b1, o, "bf16", 2, 512, rank: 128, measureRefresh: false));
        cases.AddRange(Cuda().Where(c => c.MemoryCapBytes is not null));
        cases.Add(ValidationCase.Of(m350, "galore_adamw", "bf16", 4, 512, rank: 128));
        cases.Add(ValidationCase.Of(m350, "galore_adamw", "fp32", 2, 512, rank: 128));
        foreach (var o in new[] { "galore_adamw", "galore_adamw_layerwise", "galore_adamw_8bit_layerwise" })
            cases.Add(ValidationCase.Of(b1, o, "bf16", 2, 512, rank: 128, measureRefresh: false));
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

    /// <summary>A matrix by name: <c>cpu</c>, <c>cuda</c>, <c>cuda-session</c>, <c>cuda-quick</c> or <c>smoke</c>.</summary>
    public static IReadOnlyList<ValidationCase> Named(string name) => name switch
    {
        "cpu" => Cpu(),
        "cuda" => Cuda(),
        "cuda-quick" => CudaQuick(),
        "cuda-session" => CudaSession(),
        "smoke" => Smoke(),
        _ => throw new GaLore.Planner.PlannerInputException($"unknown matrix '{name}': use cpu, cuda, cuda-session, cuda-quick or smoke"),
    };
}
