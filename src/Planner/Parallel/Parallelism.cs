using GaLore.Planner.Memory;
using GaLore.Planner.Models.Layout;

namespace GaLore.Planner.Parallel;

/// <summary>
/// How a run uses GPUs: how many train data-parallel, the engine that replicates or shards the model over them, what it
/// offloads to host memory, and how many micro-batches each optimizer step accumulates. The one description every layer
/// reads: <see cref="StepSpec.Parallel"/> carries it, the step compiler asks its <see cref="Strategy"/> what lives on each
/// GPU, and fit, report and sweep print it. Compiled sizes are per GPU.
/// </summary>
/// <param name="Gpus">Data-parallel GPUs N (every strategy here is data-parallel).</param>
/// <param name="Strategy">The engine.</param>
/// <param name="Offload">What moves to host memory.</param>
/// <param name="GradAccum">Micro-batches per optimizer step K (Hugging Face's <c>gradient_accumulation_steps</c>).</param>
public sealed record Parallelism(int Gpus, ShardingStrategy Strategy, OffloadMode Offload = OffloadMode.None, int GradAccum = 1)
{
    /// <summary>One GPU, no engine, no offload, one micro-batch per step.</summary>
    public static readonly Parallelism Single = new(1, Strategies.None);

    /// <summary>The caveat every multi-GPU answer carries.</summary>
    public const string NotMeasured = "predicted from the engines' documented layouts; not measured";

    /// <summary>Whether this is <see cref="Single"/>: the step compiler's own path, no hooks.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsSingle => Gpus == 1 && Strategy is SingleDevice && Offload == OffloadMode.None && GradAccum == 1;

    /// <summary>Whether an engine other than one plain GPU is involved (the predictions are not measured).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsDistributed => Strategy.Distributed;

    /// <summary>Tokens per optimizer step: micro-batch × sequence × K × N.</summary>
    public long TokensPerOptimizerStep(long batch, long seq) => batch * seq * GradAccum * Gpus;

    /// <summary>The same run on <paramref name="gpus"/> GPUs.</summary>
    public Parallelism WithGpus(int gpus) => this with { Gpus = gpus };

    /// <summary>Checks the combination against what the libraries allow (one-line errors) and returns the warnings.</summary>
    public IReadOnlyList<string> Check(StepSpec step) => Compatibility.Check(step);

    /// <summary>The step's hooks (after <see cref="Check"/>): what the strategy puts on each GPU's timeline.</summary>
    internal ParallelStep Hooks(StepSpec s, ModelLayout layout, bool[] galore, AllocationRounding rounding)
    {
        Compatibility.Check(s);
        return Strategy.Hooks(s, layout, galore, rounding);
    }

    /// <summary>"8 GPUs · zero3 · offload optimizer · grad-accum 4".</summary>
    public override string ToString() =>
        $"{Gpus} GPU{(Gpus == 1 ? "" : "s")} · {Strategy.Name}" + (Offload == OffloadMode.None ? "" : $" · offload {Offload.Name()}") +
        (GradAccum == 1 ? "" : $" · grad-accum {GradAccum}");
}
