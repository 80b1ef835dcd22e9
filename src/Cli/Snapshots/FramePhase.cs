namespace GaLore.Cli.Snapshots;

/// <summary>
/// Places an allocation in a <see cref="StepPhase"/> from its stack frames (innermost first, as PyTorch records them).
/// The markers are the names PyTorch, transformers and the optimizer libraries give their code:
/// <list type="bullet">
/// <item>optimizer step: any frame in <c>torch/optim/</c>, <c>galore_torch/</c>, <c>bitsandbytes/optim/</c> or
/// <c>transformers/optimization.py</c> (Adafactor), or the layerwise hook <c>optimizer_hook</c> (transformers' trainer) —
/// checked first, because a layerwise update runs inside backward;</item>
/// <item>backward: <c>torch/autograd/</c> (<c>backward</c>, <c>_engine_run_backward</c>), checkpoint recomputation in
/// <c>torch/utils/checkpoint.py</c> (its unpack hook and <c>recompute_fn</c>), or autograd's C++ engine
/// (<c>torch::autograd::Engine</c>) when C++ frames were recorded;</item>
/// <item>model build: <c>from_config</c>, <c>from_pretrained</c>, <c>_init_weights</c>, <c>Module.to</c>/<c>_apply</c>
/// (checked before forward: building a model runs no <c>forward</c>, but a forward may sit below a build frame only in code
/// that builds while it runs, which training does not);</item>
/// <item>forward: a module's <c>forward</c> or the loss (<c>transformers/loss/</c>).</item>
/// </list>
/// PyTorch runs a CUDA backward on autograd's own device threads, which have no Python stack: in a snapshot recorded with
/// Python stacks, an allocation without frames is therefore placed in backward — but only when the snapshot has frames at
/// all (<see cref="Classify"/>'s <c>stacksRecorded</c>); otherwise it is <see cref="StepPhase.Other"/>.
/// </summary>
public static class FramePhase
{
    /// <summary>The phase of one allocation.</summary>
    public static StepPhase Classify(IReadOnlyList<SnapshotFrame> frames, bool stacksRecorded)
    {
        if (frames.Count == 0) return stacksRecorded ? StepPhase.Backward : StepPhase.Other;
        foreach (var f in frames)
            if (IsOptimizer(f)) return StepPhase.OptimizerStep;
        foreach (var f in frames)
            if (IsBackward(f)) return StepPhase.Backward;
        foreach (var f in frames)
            if (IsModelBuild(f)) return StepPhase.ModelBuild;
        foreach (var f in frames)
            if (IsForward(f)) return StepPhase.Forward;
        return StepPhase.Other;
    }

    /// <summary>The innermost frame outside PyTorch's own Python package (where user or library code asked), for tables.</summary>
    public static string Where(IReadOnlyList<SnapshotFrame> frames)
    {
        foreach (var f in frames)
            if (!In(f, "/torch/") || In(f, "/torch/optim/"))
                return $"{Path.GetFileName(f.File)}:{f.Line} {f.Name}";
        return frames.Count > 0 ? $"{Path.GetFileName(frames[0].File)}:{frames[0].Line} {frames[0].Name}" : "(no stack)";
    }

    static bool In(SnapshotFrame f, string part) => f.File.Replace('\\', '/').Contains(part, StringComparison.Ordinal);

    static bool IsOptimizer(SnapshotFrame f) =>
        In(f, "/torch/optim/") || In(f, "galore_torch/") || In(f, "bitsandbytes/optim/") || In(f, "transformers/optimization.py")
        || f.Name == "optimizer_hook";

    static bool IsBackward(SnapshotFrame f) =>
        In(f, "/torch/autograd/")
        || (In(f, "/torch/utils/checkpoint.py") && (f.Name.Contains("unpack", StringComparison.Ordinal) || f.Name.Contains("recompute", StringComparison.Ordinal)))
        || f.Name.Contains("torch::autograd::Engine", StringComparison.Ordinal);

    static bool IsForward(SnapshotFrame f) =>
        f.Name == "forward" || In(f, "transformers/loss/");

    static bool IsModelBuild(SnapshotFrame f) =>
        f.Name is "from_config" or "from_pretrained" or "_from_config" or "_init_weights" or "init_weights" or "_apply" or "to";
}
