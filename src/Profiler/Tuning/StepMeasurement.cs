using System.Globalization;
using GaLore.Kernels.Native;
using GaLore.Planner.Memory;
using GaLore.Planner.Optimizers;
using GaLore.Profiler.Measurement;
using GaLore.Profiler.Model;
using GaLore.Profiler.Training;

namespace GaLore.Profiler.Tuning;

/// <summary>A real training step timed on the local device.</summary>
/// <param name="Rank">GaLore rank used.</param>
/// <param name="StepSeconds">Median wall time of the measured steps without a refresh.</param>
/// <param name="RefreshStepSeconds">Wall time of the measured step that refreshed every projector (null if none).</param>
/// <param name="OrdinarySteps">Steps the median is over.</param>
public sealed record MeasuredStep(int Rank, double StepSeconds, double? RefreshStepSeconds, int OrdinarySteps)
{
    /// <summary>What the refresh added to its step: refresh step − median ordinary step (an in-training measurement of the
    /// refresh cost of all projected weights, to compare with the sum of isolated refresh timings).</summary>
    public double? RefreshExtraSeconds => RefreshStepSeconds - StepSeconds;
}

/// <summary>
/// Times real steps of the model with the Profiler's <see cref="StepRunner"/>, this project's <see cref="CausalLm"/> and
/// GaLore kernels (<see cref="KernelsOptimizer"/>, SVD refresh): two warm-up steps (the first refresh and one-time costs),
/// then four measured steps with update_proj_gap 3, so steps 2, 4 and 5 are ordinary and step 3 refreshes every projector
/// (the reference refreshes when step mod T = 0; <see cref="StepPlan"/>).
/// </summary>
public static class StepMeasurement
{
    /// <summary>The gap used so that the measured window holds exactly one refresh.</summary>
    public const int Gap = 3;

    /// <summary>Trains <paramref name="step"/>'s model for six steps at batch × seq with seeded uniform ids and returns the timings.</summary>
    public static MeasuredStep Run(StepSpec step, int batch, int seq, int rank, DeviceTimer timer, TextWriter? progress = null)
    {
        TorchNativeLoader.EnsureLoaded();
        var galore = step.Optimizer.GaLore with { Rank = rank, UpdateProjGap = Gap };
        var request = new ProfileRequest
        {
            Step = step with { Optimizer = step.Optimizer with { GaLore = galore }, Runtime = Planner.Runtime.RuntimeProfile.TorchSharpKernels, RefreshStep = true },
            Batch = batch,
            SeqLen = seq,
            Device = timer.Name,
        };
        var plan = StepPlan.Create(minWarmup: 2, measured: 4, updateProjGap: Gap);
        progress?.WriteLine($"[tune] timing {plan.TotalSteps} real training steps of {step.Model.Name} ({step.Optimizer.Spec.Name}, rank {rank}, " +
                            $"batch {batch} × {seq}) on {timer.Name} ...");
        using var model = CausalLm.Create(step.Model, request.ToModelOptions());
        var optimizer = KernelsOptimizer.Create(model, request);
        try
        {
            using var tokens = new SyntheticTokens(step.Model.VocabSize, request.Seed);
            var records = StepRunner.Run(model, optimizer, tokens, batch, seq, plan, synchronize: timer.IsCuda ? timer.Synchronize : null);
            var ordinary = records.Where(r => r.Measured && !r.Refresh).Select(r => r.Milliseconds / 1e3).ToList();
            var refresh = records.FirstOrDefault(r => r.Measured && r.Refresh);
            var result = new MeasuredStep(rank, DeviceTimer.Median(ordinary), refresh?.Milliseconds / 1e3, ordinary.Count);
            progress?.WriteLine($"[tune] measured step {RefreshBenchmark.Time(result.StepSeconds)} (median of {ordinary.Count}); step with a refresh " +
                                (result.RefreshStepSeconds is { } rs ? RefreshBenchmark.Time(rs) : "none"));
            return result;
        }
        finally
        {
            (optimizer as IDisposable)?.Dispose();
        }
    }
}
