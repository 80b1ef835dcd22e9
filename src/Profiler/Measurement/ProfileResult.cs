using GaLore.Profiler.Training;

namespace GaLore.Profiler.Measurement;

/// <summary>
/// The outcome of one profiling run — one JSON line on the worker's stdout (<see cref="ProfileJson"/>), or a row
/// made by <see cref="ChildProcessRunner"/> when the worker crashed, was killed or timed out. Memory in bytes.
/// </summary>
public sealed record ProfileResult
{
    /// <summary>Format tag of the JSON line.</summary>
    public const string FormatTag = "galore-profile/1";

    /// <summary>Always <see cref="FormatTag"/>; lets a reader pick the result line out of other output.</summary>
    public string Format { get; init; } = FormatTag;

    /// <summary>The request, echoed.</summary>
    public required ProfileRequest Request { get; init; }

    /// <summary>Null when the run succeeded; else what went wrong.</summary>
    public string? Error { get; init; }

    /// <summary>What was measured: <c>cpu</c>, or the GPU's name and index.</summary>
    public string Device { get; init; } = "";

    /// <summary>Peak of the measured window minus the baseline: what the planner predicts.</summary>
    public long? MeasuredPeakBytes { get; init; }

    /// <summary>Usage before the model existed (VmRSS on CPU; device-used memory on CUDA).</summary>
    public long? BaselineBytes { get; init; }

    /// <summary>Absolute peak of the window (VmHWM on CPU; highest device-used sample on CUDA).</summary>
    public long? PeakAbsoluteBytes { get; init; }

    /// <summary>Number of parameter elements (tied embeddings once).</summary>
    public long ParameterCount { get; init; }

    /// <summary>Bytes of the stored parameters.</summary>
    public long ParameterBytes { get; init; }

    /// <summary>Warm-up steps actually run (after aligning a refresh into the window).</summary>
    public int WarmupSteps { get; init; }

    /// <summary>Measured steps run.</summary>
    public int MeasuredSteps { get; init; }

    /// <summary>Measured steps that refresh GaLore projections.</summary>
    public IReadOnlyList<int> RefreshSteps { get; init; } = [];

    /// <summary>Loss of every step, warm-up included (index = step).</summary>
    public IReadOnlyList<float> Losses { get; init; } = [];

    /// <summary>Wall time of every step in milliseconds.</summary>
    public IReadOnlyList<double> StepTimesMs { get; init; } = [];

    /// <summary>libtorch intra-op threads used.</summary>
    public int TorchThreads { get; init; }

    /// <summary>What the worker ran on: TorchSharp, libtorch and where it was loaded from (<c>TorchNativeLoader.Summary()</c>).</summary>
    public string Runtime { get; init; } = "";

    /// <summary>Allocator-related environment of the worker (MALLOC_*, OMP_NUM_THREADS, GALORE_LIBTORCH).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Meter details (baselines, sample counts, driver, cudaMemGetInfo...).</summary>
    public IReadOnlyDictionary<string, string> Details { get; init; } = new Dictionary<string, string>();

    /// <summary>With <see cref="ProfileRequest.ProbeForward"/>: resident memory above the baseline after each op of the first
    /// measured step's forward, in order; empty otherwise.</summary>
    public IReadOnlyList<ForwardProbe> ForwardProbes { get; init; } = [];

    /// <summary>Seconds the whole run took.</summary>
    public double ElapsedSeconds { get; init; }

    /// <summary>The worker's exit code (set by <see cref="ChildProcessRunner"/>; null in-process).</summary>
    public int? ExitCode { get; init; }

    /// <summary>End of the worker's stderr when it failed (set by <see cref="ChildProcessRunner"/>).</summary>
    public string? StderrTail { get; init; }

    /// <summary>Whether the run produced a measurement.</summary>
    public bool Ok => Error is null;

    /// <summary>A failed row for <paramref name="request"/>.</summary>
    public static ProfileResult Failure(ProfileRequest request, string error) => new() { Request = request, Error = error };

    /// <summary>Builds the step lists from the runner's records.</summary>
    public static (IReadOnlyList<float> Losses, IReadOnlyList<double> Times) Split(IReadOnlyList<StepRecord> steps) =>
        (steps.Select(s => s.Loss).ToArray(), steps.Select(s => Math.Round(s.Milliseconds, 3)).ToArray());
}

/// <summary>One sample of <see cref="ProfileResult.ForwardProbes"/>: the op that just finished (the model's label, e.g.
/// <c>block: residual (mlp)</c>) and the process's resident bytes above the baseline right after it.</summary>
public sealed record ForwardProbe(string Label, long Bytes);
