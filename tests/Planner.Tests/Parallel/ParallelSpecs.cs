using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Parallel;

namespace GaLore.Planner.Tests.Parallel;

/// <summary>Steps for the parallel tests.</summary>
static class ParallelSpecs
{
    public static readonly ModelConfig Tiny = ModelPresets.Find("tiny")!;

    /// <summary>Ψ of the tiny model: embed + lm_head 2·512·64, 2 blocks of 46,080 matrix elements and 128 norm elements, final norm 64.</summary>
    public const long TinyPsi = 158_016;

    public static StepSpec Step(string model, string optimizer, int gpus, ShardingStrategy strategy, PrecisionMode precision = PrecisionMode.Bf16,
        OffloadMode offload = OffloadMode.None, int accum = 1, bool checkpointing = false, int rank = 8) =>
        new(ModelPresets.Find(model)!, OptimizerSetup.FromName(optimizer, GaLoreSettings.Default with { Rank = rank }), new Precision(precision), checkpointing)
        {
            Parallel = new Parallelism(gpus, strategy, offload, accum),
        };

    public static StepSpec Tiny_(string optimizer, int gpus, ShardingStrategy strategy, OffloadMode offload = OffloadMode.None) =>
        Step("tiny", optimizer, gpus, strategy, offload: offload);
}
