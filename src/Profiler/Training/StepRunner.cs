using System.Diagnostics;
using GaLore.Profiler.Model;
using TorchSharp;

namespace GaLore.Profiler.Training;

/// <summary>One training step as run.</summary>
/// <param name="Step">Index from 0.</param>
/// <param name="Loss">Mean next-token loss of the step's batch (before its update).</param>
/// <param name="Milliseconds">Wall time of forward, backward, optimizer step and zero_grad.</param>
/// <param name="Measured">Whether it was in the measured window.</param>
/// <param name="Refresh">Whether GaLore refreshed its projections in it (step mod T = 0).</param>
public sealed record StepRecord(int Step, float Loss, double Milliseconds, bool Measured, bool Refresh);

/// <summary>
/// Drives training steps: forward (loss), backward, optimizer step, zero_grad, over a <see cref="StepPlan"/>,
/// calling <c>beforeMeasured</c> right before the first measured step (a peak meter resets there) and
/// <c>afterMeasured</c> right after the last.
/// </summary>
public static class StepRunner
{
    /// <summary>Runs the plan and returns one record per step. <c>synchronize</c> waits for queued device work
    /// (CUDA) so step times are real; null on CPU.</summary>
    public static IReadOnlyList<StepRecord> Run(CausalLm model, ITrainingOptimizer optimizer, ITokenSource tokens,
        int batch, int seq, StepPlan plan, Action? beforeMeasured = null, Action? afterMeasured = null, Action? synchronize = null)
    {
        if (batch < 1 || seq < 2) throw new ArgumentOutOfRangeException(nameof(seq), "need batch ≥ 1 and sequence length ≥ 2");
        var records = new List<StepRecord>(plan.TotalSteps);
        for (int step = 0; step < plan.TotalSteps; step++)
        {
            if (step == plan.WarmupSteps) beforeMeasured?.Invoke();
            var clock = Stopwatch.StartNew();
            float loss = TrainStep(model, optimizer, tokens, batch, seq);
            synchronize?.Invoke();
            clock.Stop();
            records.Add(new StepRecord(step, loss, clock.Elapsed.TotalMilliseconds, plan.IsMeasured(step), plan.IsRefresh(step)));
            if (step == plan.TotalSteps - 1) afterMeasured?.Invoke();
        }
        return records;
    }

    /// <summary>One step; every tensor of forward and backward is released before the optimizer runs.</summary>
    public static float TrainStep(CausalLm model, ITrainingOptimizer optimizer, ITokenSource tokens, int batch, int seq)
    {
        float loss;
        using (var scope = torch.NewDisposeScope())
        {
            var ids = tokens.Next(batch, seq);                // (B, T)
            var targets = CausalLm.ShiftedTargets(ids);     // (B, T), last position ignored
            var value = model.forward(ids, targets);
            value.backward();
            model.AfterBackward();
            loss = value.item<float>();
        }
        optimizer.Step();
        optimizer.ZeroGrad();
        return loss;
    }
}
