namespace GaLore.Planner.Models.Layout;

/// <summary>A parameter as one part's graph refers to it.</summary>
/// <param name="Role">The role's name in the part's graph, e.g. <c>q_proj</c> or <c>input_layernorm</c>.</param>
/// <param name="Parameter">Index of the tensor in <see cref="ModelLayout.Parameters"/>.</param>
public sealed record RoleBinding(string Role, int Parameter);

/// <summary>One part of the network in forward order, with the parameters its roles stand for.</summary>
/// <param name="Design">What the part computes (decides its op graph).</param>
/// <param name="Layer">Decoder block index, or -1 for the embedding and the head.</param>
/// <param name="Roles">Every role of the part's graph bound to a parameter (a tied lm_head binds the embedding's).</param>
/// <param name="Owned">Indices of the parameters this part introduces (a tied weight belongs to its first part).</param>
public sealed record LayoutPart(PartDesign Design, int Layer, IReadOnlyList<RoleBinding> Roles, IReadOnlyList<int> Owned)
{
    /// <summary>The index of the parameter bound to <paramref name="role"/>; throws when the part has no such role.</summary>
    public int ParameterOf(string role)
    {
        foreach (var r in Roles)
            if (r.Role == role) return r.Parameter;
        throw new KeyNotFoundException($"part {Design.Kind} {Layer} has no parameter role '{role}'");
    }

    /// <summary>Whether the part binds <paramref name="role"/>.</summary>
    public bool HasRole(string role)
    {
        foreach (var r in Roles)
            if (r.Role == role) return true;
        return false;
    }
}

/// <summary>
/// The one description of a model that every layer reads: its parameters with Hugging Face's names and shapes in
/// <c>named_parameters()</c> order (the parameter table), and its parts in forward order, each with a design and the
/// parameters its roles stand for. The planner's parameter table, its step compiler and the profiler's TorchSharp
/// model are all built from it; none of them re-derives the layout.
/// </summary>
/// <param name="Config">The configuration the layout was built from.</param>
/// <param name="Parameters">Every trainable tensor once (a tied weight once), in HF's order.</param>
/// <param name="Parts">Embedding, blocks and head, in forward order.</param>
public sealed record ModelLayout(ModelConfig Config, IReadOnlyList<ParameterTensor> Parameters, IReadOnlyList<LayoutPart> Parts)
{
    /// <summary>The sequence length from which the graphs differ (a sliding window: shorter sequences need no window mask,
    /// as <c>transformers.masking_utils._ignore_causal_mask_sdpa</c> decides); 0 when one graph serves every length.</summary>
    public int LongSequenceFrom { get; init; }

    /// <summary>Bytes of each of the model's non-trainable buffers that sit on the device for the whole run (GPT-2's
    /// per-layer causal masks); small tables such as rotary frequencies are not counted. An array (read it, do not write
    /// it): enumerating a long[] through a list interface is JIT-compiled generic code at every start-up.</summary>
    public long[] Buffers { get; init; } = [];

    /// <summary>How many parts bind each parameter (2 for a tied embedding: its gradient is complete after the second).</summary>
    public int[] UsesPerParameter()
    {
        var uses = new int[Parameters.Count];
        foreach (var part in Parts)
            foreach (var r in part.Roles) uses[r.Parameter]++;
        return uses;
    }
}
