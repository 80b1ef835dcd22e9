namespace GaLore.Planner.Memory.Graph;

/// <summary>A tensor of an op graph: an activation, a saved intermediate, or a weight copy.</summary>
public sealed class GraphTensor
{
    internal GraphTensor(int id, string name, Extent size, bool requiresGrad, GraphTensor? viewOf = null)
    {
        Id = id;
        Name = name;
        Size = size;
        RequiresGrad = requiresGrad;
        ViewOf = viewOf;
    }

    /// <summary>For a view (a slice, chunk or reshape sharing its base's storage): the tensor that owns the memory. A view
    /// allocates nothing; using or saving it keeps its base alive. Its gradient is a tensor of its own
    /// (<see cref="Size"/>). Null for a tensor with storage of its own.</summary>
    public GraphTensor? ViewOf { get; }

    /// <summary>The tensor owning the storage: the base of a view, else this.</summary>
    public GraphTensor Storage => ViewOf ?? this;

    /// <summary>Index within its graph.</summary>
    public int Id { get; }

    /// <summary>Readable name, used in timeline labels.</summary>
    public string Name { get; }

    /// <summary>Bytes it occupies.</summary>
    public Extent Size { get; }

    /// <summary>Whether autograd computes a gradient for it.</summary>
    public bool RequiresGrad { get; }

    public override string ToString() => Name;
}

/// <summary>A parameter an op uses; its gradient appears in that op's backward.</summary>
/// <param name="Role">Which of the graph's parameter roles (e.g. q_proj weight) this is.</param>
/// <param name="Name">Role name for labels.</param>
public sealed record ParamRole(int Role, string Name)
{
    /// <summary>
    /// The op reads one slice of the parameter (an expert's matrix <c>W[e]</c> of a stacked 3-D parameter, as
    /// transformers 5.x's eager experts loop does): the slice's backward (<c>select_backward</c>) makes a zero-filled
    /// gradient of the whole parameter, which autograd adds in place into the gradient already summed from the other
    /// slices (measured with libtorch 2.10: the summed gradient plus one full-size transient per further slice).
    /// </summary>
    public bool Sliced { get; init; }

    /// <summary>The same role read through a slice.</summary>
    public ParamRole Slice() => this with { Sliced = true };
}

/// <summary>
/// One autograd-visible operation: what it allocates in forward, what it saves for backward,
/// which parameters it reads. Backward allocates a gradient for every input that requires one
/// and for every parameter, then frees its outputs' gradients and the tensors it saved.
/// </summary>
public sealed class GraphOp
{
    internal GraphOp(string name, GraphTensor[] inputs, GraphTensor[] outputs, GraphTensor[] saved, ParamRole[] parameters,
        Extent forwardScratch, Extent backwardScratch, bool passThroughGrad, bool inPlace = false)
    {
        InPlace = inPlace;
        Name = name;
        Inputs = inputs;
        Outputs = outputs;
        Saved = saved;
        Params = parameters;
        ForwardScratch = forwardScratch;
        BackwardScratch = backwardScratch;
        PassThroughGrad = passThroughGrad;
    }

    public string Name { get; }
    public GraphTensor[] Inputs { get; }
    public GraphTensor[] Outputs { get; }

    /// <summary>Tensors (inputs, outputs or internal results) kept alive until this op's backward.</summary>
    public GraphTensor[] Saved { get; }

    public ParamRole[] Params { get; }

    /// <summary>Workspace alive only while the op runs forward.</summary>
    public Extent ForwardScratch { get; }

    /// <summary>Workspace alive only while the op runs backward.</summary>
    public Extent BackwardScratch { get; }

    /// <summary>Backward hands the output's gradient to the inputs unchanged (an addition):
    /// the first input takes the buffer over, the others alias it.</summary>
    public bool PassThroughGrad { get; }

    /// <summary>The op writes its first output into its first input's storage (<c>index_add_</c>, <c>+=</c>, <c>/=</c>):
    /// forward allocates nothing for that output, and the input's memory becomes the output's.</summary>
    public bool InPlace { get; }

    public override string ToString() => Name;
}
