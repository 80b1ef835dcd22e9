using System.Text.Json.Serialization;
using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Profiler.Model;
using GaLore.Profiler.Training;

namespace GaLore.Profiler.Measurement;

/// <summary>
/// One profiling run: the planner's whole <see cref="StepSpec"/> (model, optimizer with every knob, precision,
/// checkpointing, attention, refresh — the object the planner evaluates, serialized whole), the batch shape, and how
/// to measure. Serialized as snake_case JSON (<see cref="ProfileJson"/>) and sent to a worker process on its stdin.
/// </summary>
public sealed record ProfileRequest
{
    /// <summary>The step to train, exactly as the planner predicts it. Its runtime is this project's kernels.</summary>
    public required StepSpec Step { get; init; }

    /// <summary>Sequences per batch.</summary>
    public int Batch { get; init; } = 1;

    /// <summary>Tokens per sequence.</summary>
    public int SeqLen { get; init; } = 128;

    /// <summary>Learning rate handed to the optimizer (HF passes only the learning rate; default 1e-3).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>How GaLore projectors refresh: <c>svd</c> (the reference's) or <c>randomized</c> (this project's range finder).</summary>
    public string Refresh { get; init; } = "svd";

    /// <summary>Unmeasured steps before the window, at least (more when a refresh must fall inside the window).</summary>
    public int WarmupSteps { get; init; } = 1;

    /// <summary>Default of <see cref="MeasuredSteps"/>.</summary>
    public const int DefaultMeasuredSteps = 2;

    /// <summary>Steps in the measured window.</summary>
    public int MeasuredSteps { get; init; } = DefaultMeasuredSteps;

    /// <summary>
    /// Steps of a throw-away copy of the same model and optimizer run before the baseline is taken (0: only the
    /// generic <see cref="RuntimeWarmup"/>). Libraries keep some memory after first use at real sizes (MKL's
    /// buffer pool held ≈ 8 MiB after a step of a 7 M-parameter model here); this puts it in the baseline.
    /// </summary>
    public int BaselineWarmupSteps { get; init; } = 2;

    /// <summary>Seed of the weights and of the synthetic tokens.</summary>
    public long Seed { get; init; } = 1234;

    /// <summary>A local file whose bytes become token ids (id = byte mod vocab); null: seeded uniform ids.</summary>
    public string? DataPath { get; init; }

    /// <summary>TorchSharp device: <c>cpu</c>, <c>cuda</c>, <c>cuda:1</c>.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>libtorch intra-op threads (null: libtorch's default).</summary>
    public int? Threads { get; init; }

    /// <summary>CUDA only: bytes the run may use above its baseline. The worker occupies the rest of the device's
    /// free memory first, so a configuration that needs more fails with an out-of-memory error — a real fit/no-fit
    /// verdict at a chosen capacity. Null: the whole device.</summary>
    public long? MemoryCapBytes { get; init; }

    /// <summary>Milliseconds between GPU memory samples during the window.</summary>
    public int GpuPollMilliseconds { get; init; } = 2;

    /// <summary>CPU only, a diagnostic: sample resident memory after every op of the first measured step's forward
    /// (<see cref="ProfileResult.ForwardProbes"/>), to set beside the planner's forward timeline. The samples read
    /// <c>/proc/self/status</c> in the measured step, so a probed run's peak is not the one to report.</summary>
    public bool ProbeForward { get; init; }

    /// <summary>The model's shape (the step's).</summary>
    [JsonIgnore]
    public ModelConfig Model => Step.Model;

    /// <summary>GaLore's T when the optimizer refreshes projectors (a GaLore name), else null.</summary>
    [JsonIgnore]
    public int? UpdateProjGap => Step.Optimizer.Spec.GaLore ? Step.Optimizer.GaLore.UpdateProjGap : null;

    /// <summary>The step plan: a refresh inside the measured window when the step is a refresh step, none otherwise.</summary>
    public StepPlan Plan() => StepPlan.Create(WarmupSteps, MeasuredSteps, UpdateProjGap, refreshInWindow: Step.RefreshStep);

    /// <summary>The model options this request implies.</summary>
    public ModelOptions ToModelOptions() => new()
    {
        Precision = Step.Precision,
        Attention = Step.Attention,
        Checkpointing = Step.Checkpointing,
        Seed = Seed,
        Device = Device,
        Adapters = Step.Adapters,
    };

    /// <summary>Whether the device is a CUDA device.</summary>
    [JsonIgnore]
    public bool IsCuda => Device.StartsWith("cuda", StringComparison.OrdinalIgnoreCase);
}
