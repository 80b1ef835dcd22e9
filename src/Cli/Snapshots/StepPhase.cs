namespace GaLore.Cli.Snapshots;

/// <summary>The coarse phases of a training step in which a measured allocation and a predicted event can both be placed.</summary>
public enum StepPhase
{
    /// <summary>Alive before history was recorded (its allocation is not in the trace).</summary>
    BeforeRecording,
    /// <summary>Model construction and moving it to the device (the weights).</summary>
    ModelBuild,
    /// <summary>The forward pass, the loss included (activations saved for backward).</summary>
    Forward,
    /// <summary>The backward pass (gradients, backward temporaries, checkpoint recomputation).</summary>
    Backward,
    /// <summary>The optimizer step, layerwise updates inside backward included (states and update temporaries).</summary>
    OptimizerStep,
    /// <summary>Anything else, or no stack to tell.</summary>
    Other,
}

/// <summary>Names and the planner's phases mapped onto <see cref="StepPhase"/>.</summary>
public static class StepPhases
{
    /// <summary>Lower-case label for tables.</summary>
    public static string Label(this StepPhase p) => p switch
    {
        StepPhase.BeforeRecording => "before recording",
        StepPhase.ModelBuild => "model build",
        StepPhase.Forward => "forward",
        StepPhase.Backward => "backward",
        StepPhase.OptimizerStep => "optimizer step",
        StepPhase.Other => "other",
        _ => throw new ArgumentOutOfRangeException(nameof(p), p, "unknown phase"),
    };

    /// <summary>
    /// The coarse phase of one of the planner's phase names (<c>StepCompiler</c>: "start", "forward: …", "backward: …",
    /// "optimizer step…", "zero_grad"). A layerwise update is its own event inside a backward phase; its label says so
    /// (<c>layerwise update of …</c>), and <paramref name="label"/> moves it to the optimizer step.
    /// </summary>
    public static StepPhase OfPlannerPhase(string phase, string label)
    {
        if (label.Contains("layerwise update", StringComparison.Ordinal)) return StepPhase.OptimizerStep;
        if (phase.StartsWith("forward", StringComparison.Ordinal)) return StepPhase.Forward;
        if (phase.StartsWith("backward", StringComparison.Ordinal)) return StepPhase.Backward;
        if (phase.StartsWith("optimizer step", StringComparison.Ordinal) || phase == "zero_grad") return StepPhase.OptimizerStep;
        if (phase == "start") return StepPhase.BeforeRecording;
        throw new ArgumentException($"unknown planner phase '{phase}'", nameof(phase));
    }
}
