using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models;
using GaLore.Profiler.Model;

namespace GaLore.Profiler.Measurement;

/// <summary>
/// One profiling run: which model, precision, optimizer and batch to train for a few steps, and how to measure.
/// Serialized as snake_case JSON (<see cref="ProfileJson"/>) and sent to a worker process on its stdin.
/// </summary>
public sealed record ProfileRequest
{
    /// <summary>The model shape (a preset or a config.json, resolved by the caller).</summary>
    public required ModelConfig Model { get; init; }

    /// <summary><c>fp32</c>, <c>bf16</c> or <c>mixed</c> (<see cref="Precision.Parse"/>).</summary>
    public string Precision { get; init; } = "fp32";

    /// <summary><c>sdpa</c> or <c>math</c>.</summary>
    public string Attention { get; init; } = "sdpa";

    /// <summary>Activation checkpointing of every block.</summary>
    public bool Checkpointing { get; init; }

    /// <summary>Optimizer name as the planner spells it (e.g. <c>galore_adamw_layerwise</c>); interpreted by the
    /// optimizer factory the worker is given, not by the profiler.</summary>
    public string Optimizer { get; init; } = "adamw";

    /// <summary>Extra optimizer settings for the factory (<c>rank</c>, <c>scale</c>, <c>proj_type</c>, <c>lr</c>,
    /// <c>target_modules</c>...), as strings.</summary>
    public IReadOnlyDictionary<string, string> OptimizerArgs { get; init; } = new Dictionary<string, string>();

    /// <summary>GaLore's <c>update_proj_gap</c> T; when set, the measured window contains a refresh step.</summary>
    public int? UpdateProjGap { get; init; }

    /// <summary>Sequences per batch.</summary>
    public int Batch { get; init; } = 1;

    /// <summary>Tokens per sequence.</summary>
    public int SeqLen { get; init; } = 128;

    /// <summary>Unmeasured steps before the window, at least (more when a refresh must fall inside the window).</summary>
    public int WarmupSteps { get; init; } = 1;

    /// <summary>Steps in the measured window.</summary>
    public int MeasuredSteps { get; init; } = 2;

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

    /// <summary>The model options this request implies.</summary>
    public ModelOptions ToModelOptions() => new()
    {
        Precision = GaLore.Planner.Memory.Precision.Parse(Precision),
        Attention = ParseAttention(Attention),
        Checkpointing = Checkpointing,
        Seed = Seed,
        Device = Device,
    };

    /// <summary>Parses <c>sdpa</c> or <c>math</c>.</summary>
    public static AttentionKind ParseAttention(string text) => text.Trim().ToLowerInvariant() switch
    {
        "sdpa" or "fused" => AttentionKind.Sdpa,
        "math" or "eager" => AttentionKind.Math,
        _ => throw new ArgumentException($"unknown attention '{text}': use sdpa or math"),
    };

    /// <summary>Whether the device is a CUDA device.</summary>
    public bool IsCuda => Device.StartsWith("cuda", StringComparison.OrdinalIgnoreCase);
}
