using GaLore.Planner.Memory;
using GaLore.Planner.Parallel;
using static GaLore.Planner.Tests.Parallel.ParallelSpecs;

namespace GaLore.Planner.Tests.Parallel;

/// <summary>Every compatibility rule, with its message: one line, raised where the libraries raise (or the combination means
/// nothing), a warning where they run differently.</summary>
public class CompatibilityTests
{
    static ShardingStrategy S(string name) => Strategies.Parse(name);

    public static IEnumerable<object[]> Errors() =>
    [
        [Step("tiny", "adamw", 0, S("zero3")), "--gpus must be at least 1, got 0"],
        [Step("tiny", "adamw", 2, S("zero2"), accum: 0), "--grad-accum must be a positive integer, got 0"],
        [Step("tiny", "adamw", 2, Strategies.None), "--gpus 2 needs a --strategy"],
        [Step("tiny", "adamw", 1, S("ddp")), "--strategy ddp with --gpus 1 replicates the model onto no other GPU"],
        [Step("tiny", "adamw", 1, S("zero3")), "--strategy zero3 with --gpus 1 partitions over one GPU, which changes nothing"],
        [Step("tiny", "adamw", 1, S("fsdp")), "--strategy fsdp with --gpus 1 partitions over one GPU"],
        [Step("tiny", "adamw", 1, Strategies.None, offload: OffloadMode.Optimizer), "--offload optimizer needs --strategy zero1, zero2, zero3 or fsdp"],
        [Step("tiny", "adamw", 2, S("ddp"), offload: OffloadMode.Optimizer), "ddp keeps everything on the GPUs"],
        [Step("tiny", "adamw", 2, S("zero2"), offload: OffloadMode.OptimizerAndParams), "offloads parameters (offload_param) only under ZeRO-3"],
        [Step("tiny", "adamw", 2, S("zero1"), offload: OffloadMode.OptimizerAndParams), "offloads parameters (offload_param) only under ZeRO-3"],
        [Step("tiny", "adamw", 2, S("fsdp"), offload: OffloadMode.Optimizer), "CPUOffloadPolicy moves parameters, gradients and optimizer states together"],
        // transformers' _setup_low_rank_optimizer: NotImplementedError under any distributed launch, ValueError with accumulation.
        [Step("tiny", "galore_adamw_8bit_layerwise", 2, S("ddp")), "NotImplementedError(\"Layer-wise galore_adamw_8bit_layerwise does not support DDP at this time\")"],
        [Step("tiny", "adamw_layerwise", 4, S("fsdp")), "Layer-wise adamw_layerwise does not support DDP at this time"],
        [Step("tiny", "galore_adamw_layerwise", 1, S("zero2"), offload: OffloadMode.Optimizer), "does not support DDP at this time"],
        [Step("tiny", "galore_adamw_layerwise", 1, Strategies.None, accum: 4), "ValueError(\"Layerwise galore_adamw_layerwise does not support gradient accumulation!\")"],
        // galore-torch under DeepSpeed: every ZeRO stage hands the optimizer flat 1-D partitions.
        [Step("tiny", "galore_adamw", 2, S("zero1")), "galore_adamw under DeepSpeed ZeRO-1: DeepSpeed hands the optimizer flat 1-D fp32 partitions"],
        [Step("tiny", "galore_adamw_8bit", 8, S("zero2")), "under DeepSpeed ZeRO-2"],
        [Step("tiny", "galore_adafactor", 8, S("zero3")), "which galore-torch cannot project"],
    ];

    [Theory]
    [MemberData(nameof(Errors))]
    public void Impossible_combinations_are_one_line_errors(StepSpec s, string message)
    {
        var e = Assert.Throws<PlannerInputException>(() => StepCompiler.Compile(s));
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Throws<PlannerInputException>(() => ParallelSummary.Of(s));
    }

    [Theory]
    [InlineData("fsdp1", "FSDP1 (FullyShardedDataParallel) flattens each wrapped unit into one FlatParameter")]
    [InlineData("tp", "unknown strategy 'tp': use ddp, zero1, zero2, zero3, fsdp")]
    public void Unknown_and_unmodelled_strategies_are_errors(string name, string message) =>
        Assert.Contains(message, Assert.Throws<PlannerInputException>(() => Strategies.Parse(name)).Message);

    public static IEnumerable<object[]> Warnings() =>
    [
        [Step("tiny", "adamw", 2, S("zero3")), "not pure bf16"],
        [Step("tiny", "adamw", 2, S("zero1"), PrecisionMode.Mixed), "mixed under DeepSpeed is its bf16 mode"],
        [Step("tiny", "adafactor", 2, S("zero2")), "not factored rows and columns"],
        [Step("tiny", "adamw", 1, S("zero2"), offload: OffloadMode.Optimizer), "zero_force_ds_cpu_optimizer"],
        [Step("tiny", "galore_adamw", 2, S("fsdp")), "galore-torch is not written for FSDP2's DTensor shards"],
        [Step("tiny", "adamw_8bit", 2, S("fsdp")), "not written for DTensor parameters"],
        [Step("tiny", "adamw", 2, S("fsdp"), PrecisionMode.Mixed), "fp32 shards are the master copy"],
        [Step("tiny", "galore_adamw", 2, S("ddp")), "every GPU keeps the whole low-rank states and projectors"],
    ];

    [Theory]
    [MemberData(nameof(Warnings))]
    public void Combinations_that_run_differently_compile_with_a_warning(StepSpec s, string warning)
    {
        StepCompiler.Compile(s);
        Assert.Contains(ParallelSummary.Of(s).Warnings, w => w.Contains(warning) && !w.Contains('\n'));
    }

    [Fact]
    public void What_the_libraries_allow_compiles_without_error()
    {
        foreach (var opt in new[] { "adamw", "adamw_8bit", "adafactor" })
            foreach (var s in Strategies.Multi)
                StepCompiler.Compile(Step("tiny", opt, 4, s, accum: 2));
        foreach (var s in new[] { "ddp", "fsdp" })
            StepCompiler.Compile(Step("tiny", "galore_adamw_8bit", 4, S(s)));
        StepCompiler.Compile(Step("tiny", "adamw", 1, S("zero3"), offload: OffloadMode.OptimizerAndParams));
        StepCompiler.Compile(Step("tiny", "adamw", 1, S("fsdp"), offload: OffloadMode.OptimizerAndParams));
        StepCompiler.Compile(Step("tiny", "galore_adamw_layerwise", 1, Strategies.None));
    }
}
