using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models.Layout;

namespace GaLore.Planner.Memory;

/// <summary>
/// What a step spread over several GPUs, or accumulated over several micro-batches, changes in the one-GPU timeline
/// <see cref="StepCompiler"/> builds: the precision the op graphs run in, the bytes that stay on the GPU between steps,
/// each parameter's gradient size, and events at fixed points of the step (around each part, around each module that
/// reads parameters, when a parameter's gradient is complete, the optimizer step, <c>zero_grad</c>). The parallel
/// strategies (<c>src/Planner/Parallel</c>) implement it; one GPU and one micro-batch use no hooks at all, so that path
/// is the compiler's own, unchanged.
/// </summary>
public abstract class StepHooks
{
    /// <summary>Precision of the op graphs (activation dtype, autocast weight copies).</summary>
    public abstract Precision Compute { get; }

    /// <summary>Bytes alive on this GPU between steps, each tensor rounded as the program's allocator rounds.</summary>
    public abstract CategoryBytes Persistent { get; }

    /// <summary>Bytes of parameter <paramref name="parameter"/>'s gradient as backward produces it (the full tensor).</summary>
    public abstract long GradBytes(int parameter);

    /// <summary>Whether the events depend on where in the network a part is: the compiler then simulates the parts one by
    /// one instead of once per run of identical parts (identical consecutive segments still merge).</summary>
    public virtual bool PerPart => false;

    /// <summary>Whether <see cref="BeforeModule"/> and <see cref="AfterModule"/> are called for every op that reads parameters.</summary>
    public virtual bool ModuleHooks => false;

    /// <summary>Called once before the step is simulated, with the parts' graphs (index = part index) and every parameter as
    /// the simulator tracks it (index = parameter index).</summary>
    public virtual void Prepare(ModelLayout layout, IReadOnlyList<OpGraph> graphs, IReadOnlyList<BoundParam> bound, bool checkpointing) { }

    /// <summary>Events before the first forward (gradients kept from earlier micro-batches).</summary>
    public virtual void StepStart(EventLog events) { }

    /// <summary>Events before part <paramref name="part"/>'s forward.</summary>
    public virtual void BeforeForward(int part, EventLog events) { }

    /// <summary>Events after part <paramref name="part"/>'s forward.</summary>
    public virtual void AfterForward(int part, EventLog events) { }

    /// <summary>Events before part <paramref name="part"/>'s backward (and its recomputation under checkpointing).</summary>
    public virtual void BeforeBackward(int part, EventLog events) { }

    /// <summary>Events after part <paramref name="part"/>'s backward.</summary>
    public virtual void AfterBackward(int part, EventLog events) { }

    /// <summary>Events before an op that reads parameters runs (forward, recomputation or backward).</summary>
    public virtual void BeforeModule(GraphOp op, EventLog events) { }

    /// <summary>Events after an op that reads parameters ran.</summary>
    public virtual void AfterModule(GraphOp op, EventLog events) { }

    /// <summary>
    /// Parameter <paramref name="p"/>'s gradient for this micro-batch is complete (its last use in backward; updates are
    /// not layerwise). The default keeps it as <c>.grad</c> until the optimizer step; an engine that reduces it at once
    /// frees it here (and clears <see cref="BoundParam.GradAlive"/>).
    /// </summary>
    public virtual void GradientComplete(BoundParam p, EventLog events) { }

    /// <summary>Emits the optimizer step and returns true; false lets the compiler emit its own per-parameter step.</summary>
    public virtual bool OptimizerStep(EventLog events, Action<string, int> close) => false;

    /// <summary>Events of <c>zero_grad</c> beyond freeing the gradients still alive.</summary>
    public virtual void ZeroGrad(EventLog events) { }
}
