namespace GaLore.Planner.Memory.Graph;

/// <summary>
/// A straight-line autograd graph for one part of the network (the embedding, one decoder block,
/// or the head with the loss). <see cref="Input"/> is alive when the graph starts; <see cref="Output"/>
/// is handed on to the next graph and never freed here.
/// </summary>
public sealed class OpGraph
{
    internal OpGraph(string name, IReadOnlyList<GraphOp> ops, IReadOnlyList<GraphTensor> tensors, GraphTensor? input, GraphTensor? output,
        IReadOnlyList<string> paramRoles)
    {
        Name = name;
        Ops = ops;
        Tensors = tensors;
        Input = input;
        Output = output;
        ParamRoles = paramRoles;
    }

    public string Name { get; }
    public IReadOnlyList<GraphOp> Ops { get; }
    public IReadOnlyList<GraphTensor> Tensors { get; }
    public GraphTensor? Input { get; }
    public GraphTensor? Output { get; }

    /// <summary>Names of the parameter roles the ops refer to by index.</summary>
    public IReadOnlyList<string> ParamRoles { get; }

    /// <summary>How many ops read each parameter role (several for a stacked parameter read slice by slice); a
    /// parameter's gradient is complete after its last use. A span, not a list interface: generic interface code over
    /// an int array is not in ReadyToRun's image and would be JIT-compiled at every start-up.</summary>
    public ReadOnlySpan<int> RoleUses => roleUses ??= CountRoleUses();

    int[]? roleUses;

    int[] CountRoleUses()
    {
        var uses = new int[ParamRoles.Count];
        foreach (var op in Ops)
            foreach (var p in op.Params) uses[p.Role]++;
        return uses;
    }

    /// <summary>Bytes autograd keeps between forward and backward for one token (the per-layer activation cost).</summary>
    public Extent SavedSize()
    {
        var seen = new HashSet<int>();
        var total = Extent.Zero;
        foreach (var op in Ops)
            foreach (var t in op.Saved)
                if (seen.Add(t.Storage.Id)) total += t.Storage.Size;
        return total;
    }
}

/// <summary>Builds an <see cref="OpGraph"/> op by op, in forward order.</summary>
public sealed class GraphBuilder(string name)
{
    readonly List<GraphOp> ops = [];
    readonly List<GraphTensor> tensors = [];
    readonly List<string> roles = [];
    GraphTensor? input;

    /// <summary>Declares the graph's input (alive on entry).</summary>
    public GraphTensor Input(string tensorName, Extent size, bool requiresGrad = true) =>
        input = Tensor(tensorName, size, requiresGrad);

    /// <summary>Declares a tensor some op will produce.</summary>
    public GraphTensor Tensor(string tensorName, Extent size, bool requiresGrad = true)
    {
        var t = new GraphTensor(tensors.Count, tensorName, size, requiresGrad);
        tensors.Add(t);
        return t;
    }

    /// <summary>Declares a view of <paramref name="of"/> (no storage of its own) that some op will produce, e.g. one of
    /// the q/k/v slices of a fused projection; <paramref name="size"/> is the view's own size (its gradient's).</summary>
    public GraphTensor View(string tensorName, GraphTensor of, Extent size)
    {
        var t = new GraphTensor(tensors.Count, tensorName, size, of.RequiresGrad, of.Storage);
        tensors.Add(t);
        return t;
    }

    /// <summary>Declares a parameter role (e.g. "q_proj"); ops refer to it to produce its gradient.</summary>
    public ParamRole Param(string roleName)
    {
        roles.Add(roleName);
        return new ParamRole(roles.Count - 1, roleName);
    }

    /// <summary>Appends an op. <paramref name="inPlace"/>: the first output is the first input modified in place (same size;
    /// nothing may read or save the input afterwards).</summary>
    public GraphBuilder Op(string opName, GraphTensor[] inputs, GraphTensor[] outputs, GraphTensor[]? saved = null,
        ParamRole[]? parameters = null, Extent forwardScratch = default, Extent backwardScratch = default, bool passThroughGrad = false,
        bool inPlace = false)
    {
        if (inPlace && (inputs.Length == 0 || outputs.Length == 0 || inputs[0].Size != outputs[0].Size))
            throw new ArgumentException($"in-place op {opName} needs a first input and a first output of the same size");
        ops.Add(new GraphOp(opName, inputs, outputs, saved ?? [], parameters ?? [], forwardScratch, backwardScratch, passThroughGrad, inPlace));
        return this;
    }

    /// <summary>Finishes the graph; <paramref name="output"/> is kept alive for the next graph (null for the loss head).</summary>
    public OpGraph Build(GraphTensor? output) => new(name, ops.ToArray(), tensors.ToArray(), input, output, roles.ToArray());
}
