using GaLore.Kernels.Projection;
using GaLore.Planner;
using GaLore.Planner.Fit;
using GaLore.Planner.Models;

namespace GaLore.Profiler.Tuning;

/// <summary>When to time a real training step of the model on the local device.</summary>
public enum StepMeasureMode
{
    /// <summary>When the 6·N·D estimate of one step is at most <see cref="TuneRequest.MeasureStepLimitSeconds"/>.</summary>
    Auto,
    /// <summary>Always (a 7B step on a CPU takes minutes and tens of GiB).</summary>
    Always,
    /// <summary>Never: the estimate alone.</summary>
    Never,
}

/// <summary>Everything <c>galore-plan tune</c> is asked. <see cref="Validate"/> turns bad values into
/// <see cref="PlannerInputException"/>s before any measurement starts.</summary>
public sealed record TuneRequest
{
    /// <summary>The run to tune: model, optimizer (its rank is replaced by each of <see cref="Ranks"/>), precision, batch,
    /// sequence, GPU.</summary>
    public required FitQuery Query { get; init; }

    /// <summary>GaLore ranks to consider.</summary>
    public required IReadOnlyList<int> Ranks { get; init; }

    /// <summary>update_proj_gap values to consider.</summary>
    public required IReadOnlyList<int> Gaps { get; init; }

    /// <summary>Refresh methods to time.</summary>
    public IReadOnlyList<RefreshMethod> Methods { get; init; } = [RefreshMethod.Svd, RefreshMethod.Randomized];

    /// <summary>Where timings run: <c>cpu</c> or <c>cuda</c>.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Overhead budget and memory headroom of the rule.</summary>
    public TunePolicy Policy { get; init; } = new();

    /// <summary>Most timed runs per refresh measurement (fewer when one run is long; see <see cref="DeviceTimer"/>).</summary>
    public int Repeats { get; init; } = 3;

    /// <summary>No new timed run starts after this many seconds of one measurement.</summary>
    public double RepeatBudgetSeconds { get; init; } = 5;

    /// <summary>Whether to time a real step of the model.</summary>
    public StepMeasureMode MeasureStep { get; init; } = StepMeasureMode.Auto;

    /// <summary>Auto mode times a real step when the estimate is at most this (default 1 s: up to about llama-350m on this CPU).</summary>
    public double MeasureStepLimitSeconds { get; init; } = 1.0;

    /// <summary>Proxy training steps per run (0: no quality experiment).</summary>
    public int TrainSteps { get; init; }

    /// <summary>The proxy model (default the <c>tiny</c> preset).</summary>
    public ModelConfig Proxy { get; init; } = ModelPresets.Find("tiny")!;

    /// <summary>Proxy ranks (null: <see cref="ProxyGrid.MapRanks"/>); clipped to the proxy's smallest projected side.</summary>
    public IReadOnlyList<int>? ProxyRanks { get; init; }

    /// <summary>Proxy gaps (null: <see cref="ProxyGrid.DefaultGaps"/>).</summary>
    public IReadOnlyList<int>? ProxyGaps { get; init; }

    /// <summary>Learning rate of the proxy's GaLore runs (the AdamW baseline tries 0.1, 0.3 and 1 times it).</summary>
    public double ProxyLearningRate { get; init; } = 1e-2;

    /// <summary>Proxy sequences per step.</summary>
    public int ProxyBatch { get; init; } = 8;

    /// <summary>Proxy tokens per sequence.</summary>
    public int ProxySeq { get; init; } = 64;

    /// <summary>n of the n³ matmul that measures throughput (null: <see cref="MatmulThroughput.DefaultSize"/>).</summary>
    public int? MatmulSize { get; init; }

    /// <summary>Seed of every synthetic input.</summary>
    public int Seed { get; init; } = 7;

    /// <summary>Checks every value; returns this request.</summary>
    public TuneRequest Validate()
    {
        Query.Validate();
        Positive(Ranks, "--ranks");
        Positive(Gaps, "--gaps");
        if (Methods.Count == 0) throw new PlannerInputException("--refresh names no method");
        if (!double.IsFinite(Policy.OverheadBudget) || Policy.OverheadBudget <= 0)
            throw new PlannerInputException($"--overhead-budget must be a positive percentage, got {Policy.OverheadBudget * 100}");
        if (!double.IsFinite(Policy.Headroom) || Policy.Headroom < 0 || Policy.Headroom >= 1)
            throw new PlannerInputException($"--headroom must be a percentage in [0, 100), got {Policy.Headroom * 100}");
        if (Repeats < 1) throw new PlannerInputException($"--repeats must be a positive integer, got {Repeats}");
        if (TrainSteps < 0) throw new PlannerInputException($"--train-steps must be 0 or more, got {TrainSteps}");
        if (ProxyRanks is not null) Positive(ProxyRanks, "--proxy-ranks");
        if (ProxyGaps is not null) Positive(ProxyGaps, "--proxy-gaps");
        if (!double.IsFinite(ProxyLearningRate) || ProxyLearningRate <= 0)
            throw new PlannerInputException($"--proxy-lr must be a positive number, got {ProxyLearningRate}");
        if (ProxyBatch < 1 || ProxySeq < 2) throw new PlannerInputException("proxy batch must be ≥ 1 and proxy sequence length ≥ 2");
        if (ProxySeq > Proxy.MaxPositionEmbeddings)
            throw new PlannerInputException($"proxy sequence length {ProxySeq} exceeds {Proxy.Name}'s max_position_embeddings ({Proxy.MaxPositionEmbeddings})");
        return this;
    }

    static void Positive(IReadOnlyList<int> values, string option)
    {
        if (values.Count == 0) throw new PlannerInputException($"{option} is empty");
        foreach (int v in values)
            if (v <= 0) throw new PlannerInputException($"{option} values must be positive integers, got {v}");
    }
}
