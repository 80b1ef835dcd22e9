using GaLore.Planner.Memory.Graph;

namespace GaLore.Planner.Memory;

/// <summary>How a graph's forward runs.</summary>
public enum ForwardMode
{
    /// <summary>Autograd on: each op's saved tensors stay until its backward.</summary>
    Normal,
    /// <summary>Under activation checkpointing (Chen et al. 2016, arXiv 1604.06174): no_grad, nothing is
    /// saved except the graph's input, which the checkpoint keeps for recomputation.</summary>
    Checkpointed,
    /// <summary>The recomputation inside backward: like <see cref="Normal"/>, but the recomputed output is
    /// dropped right away and the input stays until the graph's backward ends.</summary>
    Recompute,
}

/// <summary>
/// Replays an <see cref="OpGraph"/> as allocations and frees, with PyTorch's lifetime rules: a forward
/// result dies after its last use unless an op saved it; backward allocates each input's gradient (or adds
/// into an existing one through a temporary), each parameter's gradient, and frees the outputs' gradients
/// and the op's saved tensors. An op that passes its gradient through (an addition) hands the buffer to
/// its first input.
/// </summary>
public sealed class GraphSimulator(EventLog sink)
{
    /// <summary>What a multi-GPU engine or gradient accumulation adds (null: one GPU, one micro-batch).</summary>
    public StepHooks? Hooks { get; init; }

    enum Grad : byte { None, Owned, Alias }

    // Sized by Reset. Not `[]`: Array.Empty over this file's enum is generic code outside ReadyToRun's image (JIT-compiled
    // at every start-up).
    bool[] alive = new bool[0];
    Grad[] grad = new Grad[0];

    void Alloc(Extent size, MemoryCategory c, string label)
    {
        if (!size.IsZero) sink.Add(new StepEvent(size, c, false, label));
    }

    void Free(Extent size, MemoryCategory c, string label)
    {
        if (!size.IsZero) sink.Add(new StepEvent(size, c, true, label));
    }

    void Reset(OpGraph g)
    {
        if (alive.Length < g.Tensors.Count)
        {
            alive = new bool[g.Tensors.Count];
            grad = new Grad[g.Tensors.Count];
        }
        Array.Clear(alive, 0, g.Tensors.Count);
        Array.Clear(grad, 0, g.Tensors.Count);
    }

    void FreeTensor(GraphTensor t, string why)
    {
        if (t.ViewOf is not null || !alive[t.Id]) return; // a view frees nothing: its base goes when its own uses end
        alive[t.Id] = false;
        Free(t.Size, MemoryCategory.Activations, why);
    }

    /// <summary>Emits one graph's forward.</summary>
    public void Forward(OpGraph g, ForwardMode mode)
    {
        Reset(g);
        var ops = g.Ops;
        var remaining = new int[g.Tensors.Count];
        var savedBy = new int[g.Tensors.Count];
        foreach (var op in ops)
        {
            foreach (var t in op.Inputs) remaining[t.Storage.Id]++;   // reading a view reads its base
            foreach (var t in op.Saved) savedBy[t.Storage.Id]++;      // saving a view keeps its base
        }
        bool saving = mode != ForwardMode.Checkpointed;
        bool Kept(GraphTensor t) =>
            (saving && savedBy[t.Id] > 0)
            || (t == g.Input && mode != ForwardMode.Normal)
            || (t == g.Output && mode != ForwardMode.Recompute);
        if (g.Input is not null) alive[g.Input.Id] = true;
        bool modules = Hooks is { ModuleHooks: true };
        foreach (var op in ops)
        {
            if (modules && op.Params.Length > 0) Hooks!.BeforeModule(op, sink);
            foreach (var t in op.Outputs)
            {
                if (t.ViewOf is not null) continue;
                alive[t.Id] = true;
                if (op.InPlace && t == op.Outputs[0]) continue; // written into its first input's storage
                Alloc(t.Size, MemoryCategory.Activations, $"forward {op.Name}: {t.Name}");
            }
            Alloc(op.ForwardScratch, MemoryCategory.Activations, $"forward {op.Name}: scratch");
            Free(op.ForwardScratch, MemoryCategory.Activations, $"forward {op.Name}: scratch freed");
            foreach (var t in op.Inputs)
            {
                var s = t.Storage;
                if (--remaining[s.Id] != 0 || Kept(s)) continue;
                if (op.InPlace && t == op.Inputs[0]) alive[s.Id] = false; // its storage is the output's now
                else FreeTensor(s, $"forward {op.Name}: {s.Name} dead");
            }
            foreach (var t in op.Outputs)
                if (remaining[t.Id] == 0 && !Kept(t)) FreeTensor(t, $"forward {op.Name}: {t.Name} unused");
            if (modules && op.Params.Length > 0) Hooks!.AfterModule(op, sink);
        }
    }

    /// <summary>
    /// Emits one graph's backward. The gradient of <see cref="OpGraph.Output"/> (or of the loss) is alive on entry;
    /// the gradient of <see cref="OpGraph.Input"/> is left alive for the previous graph. <paramref name="bind"/>
    /// maps the graph's parameter roles to concrete parameters. Under checkpointing the recomputed block is
    /// back-propagated from inside the checkpoint's own backward, which holds the incoming gradient until it
    /// returns (<c>torch.utils.checkpoint</c> with <c>use_reentrant=True</c>; TorchSharp's custom function the same):
    /// that buffer is then shared, so the first accumulation into it is out of place, and it is freed at the end.
    /// </summary>
    public void Backward(OpGraph g, IReadOnlyList<BoundParam> bind, bool inputKeptByCheckpoint)
    {
        // What forward left alive: every saved tensor, and the input when a checkpoint kept it.
        Reset(g);
        var ops = g.Ops;
        var savers = new int[g.Tensors.Count];
        foreach (var op in ops)
            foreach (var t in op.Saved)
            {
                savers[t.Storage.Id]++;
                alive[t.Storage.Id] = true;
            }
        if (inputKeptByCheckpoint && g.Input is not null) alive[g.Input.Id] = true;
        var lastOp = ops[^1];
        bool outputGrad = g.Output is { RequiresGrad: true };   // false only for a frozen part of a peft model
        if (outputGrad) grad[g.Output!.Id] = inputKeptByCheckpoint ? Grad.Alias : Grad.Owned;
        else foreach (var t in lastOp.Outputs) grad[t.Id] = Grad.Alias; // d(loss)/d(loss) = 1: 4 bytes, not tracked
        bool modules = Hooks is { ModuleHooks: true };
        for (int k = ops.Count - 1; k >= 0; k--)
        {
            var op = ops[k];
            if (modules && op.Params.Length > 0) Hooks!.BeforeModule(op, sink);
            bool flows = false;
            foreach (var t in op.Outputs) flows |= grad[t.Id] != Grad.None;
            if (flows)
            {
                Alloc(op.BackwardScratch, MemoryCategory.Activations, $"backward {op.Name}: scratch");
                InputGradients(op);
                foreach (var p in op.Params) ParamGradient(op, p, bind[p.Role]);
                Free(op.BackwardScratch, MemoryCategory.Activations, $"backward {op.Name}: scratch freed");
                foreach (var t in op.Outputs)
                {
                    if (grad[t.Id] == Grad.Owned) Free(t.Size, MemoryCategory.Activations, $"backward {op.Name}: d{t.Name} freed");
                    grad[t.Id] = Grad.None;
                }
            }
            foreach (var t in op.Saved)
                if (--savers[t.Storage.Id] == 0) FreeTensor(t.Storage, $"backward {op.Name}: saved {t.Storage.Name} freed");
            if (modules && op.Params.Length > 0) Hooks!.AfterModule(op, sink);
        }
        if (inputKeptByCheckpoint && g.Input is not null) FreeTensor(g.Input, "backward: checkpointed input freed");
        if (inputKeptByCheckpoint && outputGrad)
            Free(g.Output!.Size, MemoryCategory.Activations, "backward: checkpoint releases the incoming gradient");
    }

    void InputGradients(GraphOp op)
    {
        var outGrad = op.Outputs[0];
        bool handedOver = false;
        foreach (var t in op.Inputs)
        {
            if (!t.RequiresGrad) continue;
            if (op.PassThroughGrad && t.Size == outGrad.Size)
            {
                if (grad[t.Id] != Grad.None) continue; // added in place into the existing buffer
                grad[t.Id] = !handedOver && grad[outGrad.Id] == Grad.Owned ? Grad.Owned : Grad.Alias;
                if (grad[t.Id] == Grad.Owned) { handedOver = true; grad[outGrad.Id] = Grad.Alias; }
                continue;
            }
            if (grad[t.Id] == Grad.None)
            {
                grad[t.Id] = Grad.Owned;
                Alloc(t.Size, MemoryCategory.Activations, $"backward {op.Name}: d{t.Name}");
            }
            else if (grad[t.Id] == Grad.Alias)
            {
                // Adding into a buffer someone else still holds happens out of place: a new buffer we own.
                grad[t.Id] = Grad.Owned;
                Alloc(t.Size, MemoryCategory.Activations, $"backward {op.Name}: d{t.Name} (out-of-place accumulation)");
            }
            else
            {
                Alloc(t.Size, MemoryCategory.Activations, $"backward {op.Name}: d{t.Name} (to accumulate)");
                Free(t.Size, MemoryCategory.Activations, $"backward {op.Name}: d{t.Name} accumulated");
            }
        }
    }

    void ParamGradient(GraphOp op, ParamRole use, BoundParam p)
    {
        string role = use.Name;
        var size = Extent.Fixed(p.GradBytes);
        if (!p.GradAlive)
        {
            p.GradAlive = true;
            Alloc(size, MemoryCategory.Gradients, $"backward {op.Name}: grad of {role}");
        }
        else if (use.Sliced)
        {
            // select_backward's zero-filled full-size gradient, added in place into the sum so far (ParamRole.Sliced).
            Alloc(size, MemoryCategory.Gradients, $"backward {op.Name}: grad of {role} (slice, zero-filled full size)");
            Free(size, MemoryCategory.Gradients, $"backward {op.Name}: grad of {role}: slice added in place");
        }
        else
        {
            // A parameter read twice (a tied embedding): autograd sums the two gradients out of place — the old
            // one, the new one and their sum coexist for a moment (measured with libtorch 2.10: 3 × the weight).
            Alloc(size, MemoryCategory.Gradients, $"backward {op.Name}: grad of {role} (second use)");
            Alloc(size, MemoryCategory.Gradients, $"backward {op.Name}: grad of {role}: sum of both uses");
            Free(size, MemoryCategory.Gradients, $"backward {op.Name}: grad of {role}: both parts freed");
            Free(size, MemoryCategory.Gradients, $"backward {op.Name}: grad of {role}: both parts freed");
        }
        if (--p.PendingUses == 0 && p.LayerwiseUpdateBytes >= 0)
        {
            var update = Extent.Fixed(p.LayerwiseUpdateBytes);
            Alloc(update, MemoryCategory.Other, $"layerwise update of {role}");
            Free(update, MemoryCategory.Other, $"layerwise update of {role} done");
            Free(size, MemoryCategory.Gradients, $"layerwise: grad of {role} freed");
            p.GradAlive = false;
        }
        else if (p.PendingUses == 0) Hooks?.GradientComplete(p, sink);
    }
}
