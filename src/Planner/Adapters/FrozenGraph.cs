using GaLore.Planner.Memory.Graph;

namespace GaLore.Planner.Adapters;

/// <summary>
/// Rewrites a part's op graph for a peft model, in which only the adapter parameters (<see cref="AdapterRoles.IsTrainable"/>)
/// require grad. Autograd's rules, applied op by op in forward order:
/// <list type="bullet">
/// <item>a frozen parameter gets no gradient: it is dropped from its ops' parameters;</item>
/// <item>a tensor requires grad only when its op reads a tensor that does or a trainable parameter (the part's input
/// requires grad as <see cref="PartAdapters.InputRequiresGrad"/> says; the embedding's output when
/// <c>enable_input_require_grads</c> hooked it);</item>
/// <item>an op with neither is not recorded, so it saves nothing — except an op that reads no tensor at all (the
/// embedding's lookup), whose saved tensors stand for tables the later parts keep (the rotary cos/sin).</item>
/// </list>
/// Ops whose saved tensors exist only for a weight's gradient are written for frozen weights where they are built
/// (<see cref="AdapterGraph"/>, <see cref="GraphParts.RmsNorm"/>).
/// </summary>
public static class FrozenGraph
{
    /// <summary>The graph with frozen base parameters.</summary>
    public static OpGraph Apply(OpGraph g, PartAdapters peft)
    {
        var roles = g.ParamRoles;
        var trainable = new bool[roles.Count];
        for (int r = 0; r < roles.Count; r++) trainable[r] = AdapterRoles.IsTrainable(roles[r]);
        var needs = new bool[g.Tensors.Count];
        if (g.Input is not null) needs[g.Input.Id] = g.Input.RequiresGrad && peft.InputRequiresGrad;

        var ops = new List<(GraphOp Op, bool Recorded, ParamRole[] Params)>(g.Ops.Count);
        foreach (var op in g.Ops)
        {
            bool recorded = false;
            foreach (var t in op.Inputs) recorded |= needs[t.Id];
            var kept = new List<ParamRole>(op.Params.Length);
            foreach (var p in op.Params)
                if (trainable[p.Role]) kept.Add(p);
            recorded |= kept.Count > 0;
            foreach (var t in op.Outputs) needs[t.Id] = t.RequiresGrad && recorded;
            ops.Add((op, recorded, kept.ToArray()));
        }
        if (peft.OutputRequiresGrad && g.Output is not null) needs[g.Output.Id] = g.Output.RequiresGrad;

        var tensors = new GraphTensor[g.Tensors.Count];
        foreach (var t in g.Tensors) tensors[t.Id] = new GraphTensor(t.Id, t.Name, t.Size, needs[t.Id]);
        GraphTensor[] Map(GraphTensor[] list)
        {
            var m = new GraphTensor[list.Length];
            for (int i = 0; i < list.Length; i++) m[i] = tensors[list[i].Id];
            return m;
        }
        var rewritten = new GraphOp[ops.Count];
        for (int i = 0; i < ops.Count; i++)
        {
            var (op, recorded, kept) = ops[i];
            var saved = recorded || op.Inputs.Length == 0 ? Map(op.Saved) : [];
            rewritten[i] = new GraphOp(op.Name, Map(op.Inputs), Map(op.Outputs), saved, kept, op.ForwardScratch, op.BackwardScratch, op.PassThroughGrad);
        }
        return new OpGraph(g.Name, rewritten, tensors,
            g.Input is null ? null : tensors[g.Input.Id], g.Output is null ? null : tensors[g.Output.Id], roles);
    }
}
