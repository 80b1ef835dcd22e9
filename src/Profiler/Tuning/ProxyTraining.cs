using System.Diagnostics;
using System.Globalization;
using GaLore.Kernels.Native;
using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using GaLore.Profiler.Measurement;
using GaLore.Profiler.Model;
using GaLore.Profiler.Training;

namespace GaLore.Profiler.Tuning;

/// <summary>The quality experiment: short runs of a small proxy model over a rank × T grid, plus full-rank AdamW.</summary>
/// <param name="Model">The proxy (default the <c>tiny</c> preset).</param>
/// <param name="Steps">Training steps per run.</param>
/// <param name="Ranks">GaLore ranks (each ≤ the proxy's smallest projected side).</param>
/// <param name="Gaps">update_proj_gap values.</param>
/// <param name="LearningRate">Learning rate of the GaLore runs (default 0.01 with scale 0.25, the GaLore repository's C4
/// pre-training setting for its small models; the projected update is multiplied by the scale, so GaLore wants a larger rate
/// than AdamW).</param>
/// <param name="Batch">Sequences per step.</param>
/// <param name="Seq">Tokens per sequence.</param>
/// <param name="Seed">Seed of the weights, the Markov chain and the batches (the same for every run).</param>
/// <param name="Lag">Token t follows the chain from token t − lag (<see cref="MarkovTokens"/>; default 2, so attention must learn to
/// look two tokens back — work for exactly the weights GaLore projects).</param>
public sealed record ProxySettings(ModelConfig Model, int Steps, IReadOnlyList<int> Ranks, IReadOnlyList<int> Gaps,
    double LearningRate = 1e-2, int Batch = 8, int Seq = 64, int Seed = 7, int Lag = 2)
{
    /// <summary>Steps the final loss averages over: the last tenth of the run, at least one.</summary>
    public int FinalWindow => Math.Max(1, Steps / 10);

    /// <summary>The full-rank AdamW baseline runs at each of these (0.1, 0.3 and 1 × the GaLore rate) and the best is
    /// compared: one rate cannot suit both, since GaLore's update is scaled down by its scale.</summary>
    public IReadOnlyList<double> BaselineLearningRates => [LearningRate * 0.1, LearningRate * 0.3, LearningRate];
}

/// <summary>One proxy run.</summary>
/// <param name="Optimizer">Optimizer name.</param>
/// <param name="LearningRate">Its learning rate.</param>
/// <param name="Rank">GaLore rank, null for the full-rank baseline.</param>
/// <param name="Gap">update_proj_gap, null for the baseline.</param>
/// <param name="Losses">Loss of every step (before its update).</param>
/// <param name="FinalLoss">Mean loss of the last <see cref="ProxySettings.FinalWindow"/> steps.</param>
/// <param name="Seconds">Wall time of the run.</param>
public sealed record ProxyRun(string Optimizer, double LearningRate, int? Rank, int? Gap, IReadOnlyList<float> Losses, double FinalLoss, double Seconds)
{
    /// <summary>"rank 8, T 20", or "adamw, lr 0.001" for a baseline.</summary>
    public string Label => Rank is { } r ? $"rank {r}, T {Gap}" : $"{Optimizer}, lr {LearningRate.ToString("0.####", CultureInfo.InvariantCulture)}";
}

/// <summary>What the quality experiment found.</summary>
/// <param name="Settings">How it ran.</param>
/// <param name="EntropyRate">The Markov chain's entropy rate in nats.</param>
/// <param name="Runs">Every GaLore run (rank-major), then the baselines.</param>
public sealed record ProxyResult(ProxySettings Settings, double EntropyRate, IReadOnlyList<ProxyRun> Runs)
{
    /// <summary>The full-rank AdamW runs, one per learning rate.</summary>
    public IReadOnlyList<ProxyRun> Baselines => Runs.Where(r => r.Rank is null).ToList();

    /// <summary>The best baseline (lowest final loss).</summary>
    public ProxyRun Baseline => Baselines.MinBy(r => r.FinalLoss)!;

    /// <summary>ln V: the loss of a uniform guess, where training starts.</summary>
    public double UniformLoss => Math.Log(Settings.Model.VocabSize);

    /// <summary>The lowest mean loss any model can reach on these sequences: the first <c>lag</c> − 1 predicted tokens are
    /// uniform (ln V each), the remaining seq − lag follow the chain (its entropy rate each).</summary>
    public double LossFloor
    {
        get
        {
            int seq = Settings.Seq, lag = Math.Min(Settings.Lag, Settings.Seq - 1);
            return ((lag - 1) * UniformLoss + (seq - lag) * EntropyRate) / (seq - 1);
        }
    }
}

/// <summary>
/// Trains the proxy on text from a seeded <see cref="MarkovChain"/> (4 successors per token, at <see cref="ProxySettings.Lag"/>)
/// in float32: once per (rank, T) with the GaLore optimizer under test (this project's kernels, <see cref="KernelsOptimizer"/>),
/// and with full-rank <c>adamw</c> at three learning rates. Every run starts from the same weights and sees the same
/// batches, so the differences come from the optimizer alone.
/// </summary>
public static class ProxyTraining
{
    /// <summary>Runs the grid and the baseline.</summary>
    public static ProxyResult Run(ProxySettings s, OptimizerSetup setup, DeviceTimer timer, TextWriter? progress = null)
    {
        TorchNativeLoader.EnsureLoaded();
        if (s.Steps < 1) throw new ArgumentOutOfRangeException(nameof(s), "proxy steps must be ≥ 1");
        var chain = new MarkovChain(s.Model.VocabSize, 4, s.Seed);
        var runs = new List<ProxyRun>();
        int total = s.Ranks.Count * s.Gaps.Count + s.BaselineLearningRates.Count, done = 0;
        foreach (int rank in s.Ranks)
            foreach (int gap in s.Gaps)
                runs.Add(Train(s, chain, setup, setup.Spec.Name, s.LearningRate, rank, gap, timer, progress, ++done, total));
        foreach (double lr in s.BaselineLearningRates)
            runs.Add(Train(s, chain, setup, "adamw", lr, null, null, timer, progress, ++done, total));
        return new ProxyResult(s, chain.EntropyRate(), runs);
    }

    static ProxyRun Train(ProxySettings s, MarkovChain chain, OptimizerSetup setup, string optimizer, double lr, int? rank, int? gap, DeviceTimer timer,
        TextWriter? progress, int index, int total)
    {
        var runSetup = rank is { } r && gap is { } t
            ? setup with { GaLore = setup.GaLore with { Rank = r, UpdateProjGap = t } }
            : new OptimizerSetup(OptimizerSpec.Parse(optimizer), setup.GaLore, setup.Targets);
        var request = new ProfileRequest
        {
            Step = new StepSpec(s.Model, runSetup, new Precision(PrecisionMode.Fp32), Runtime: Planner.Runtime.RuntimeProfile.TorchSharpKernels),
            LearningRate = lr, Batch = s.Batch, SeqLen = s.Seq, Seed = s.Seed, Device = timer.Name,
        };
        var clock = Stopwatch.StartNew();
        using var model = CausalLm.Create(s.Model, request.ToModelOptions());
        var opt = KernelsOptimizer.Create(model, request);
        try
        {
            var tokens = new MarkovTokens(chain, s.Seed, s.Lag);
            var records = StepRunner.Run(model, opt, tokens, s.Batch, s.Seq, new StepPlan(0, s.Steps, gap),
                synchronize: timer.IsCuda ? timer.Synchronize : null);
            var losses = records.Select(x => x.Loss).ToList();
            double final = losses.TakeLast(s.FinalWindow).Average(x => (double)x);
            var run = new ProxyRun(optimizer, lr, rank, gap, losses, final, clock.Elapsed.TotalSeconds);
            progress?.WriteLine(FormattableString.Invariant(
                $"[tune] proxy run {index}/{total} ({s.Model.Name}, {run.Label}): {s.Steps} steps in {run.Seconds:0.0} s, loss {losses[0]:0.000} → final {final:0.000}"));
            return run;
        }
        finally
        {
            (opt as IDisposable)?.Dispose();
        }
    }
}
