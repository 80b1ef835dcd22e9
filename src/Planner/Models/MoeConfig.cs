namespace GaLore.Planner.Models;

/// <summary>
/// How <c>transformers</c> lays out a sparse mixture-of-experts block, by major version (the parameter counts are the
/// same; the number of tensors, their names and which of them are <c>nn.Linear</c> differ).
/// </summary>
public enum MoeLayout
{
    /// <summary>transformers 5.x (the default): each block's experts are two stacked 3-D parameters,
    /// <c>mlp.experts.gate_up_proj</c> (E, 2i, h) and <c>mlp.experts.down_proj</c> (E, h, i), and the router is a bare
    /// parameter <c>mlp.gate.weight</c> (E, h). None of them is an <c>nn.Linear</c>, so GaLore projects none.</summary>
    Fused,
    /// <summary>transformers 4.x: one <c>nn.Linear</c> per expert projection (<c>mlp.experts.N.gate_proj</c>, Mixtral's
    /// <c>block_sparse_moe.experts.N.w1</c>, …) and an <c>nn.Linear</c> router <c>gate</c>; the eager per-expert loop
    /// with routing weights cast to the model dtype.</summary>
    PerExpert,
}

/// <summary>Which experts forward a transformers 5.x model runs (<c>config._experts_implementation</c>,
/// <c>transformers.integrations.moe</c>); transformers 4.x has only the eager loop.</summary>
public enum ExpertsImplementation
{
    /// <summary><c>grouped_mm</c>, 5.x's default (<c>PreTrainedModel.get_correct_experts_implementation</c>): every routed
    /// (token, slot) pair gathered, sorted by expert and multiplied with one grouped matmul per projection.</summary>
    GroupedMm,
    /// <summary><c>eager</c>: the experts class's own loop over the experts that received tokens.</summary>
    Eager,
}

/// <summary>
/// The sparse mixture-of-experts part of a decoder's configuration (Shazeer et al. 2017, arXiv 1701.06538; top-k routing
/// as in Mixtral, Jiang et al. 2024, arXiv 2401.04088). Field names follow the Hugging Face configuration classes
/// (<c>MixtralConfig</c>, <c>Qwen2MoeConfig</c>, <c>Qwen3MoeConfig</c>, <c>OlmoeConfig</c>). A dense model has none
/// (<see cref="ModelConfig.Moe"/> is null).
/// </summary>
/// <param name="Experts">Routed experts per sparse block E (<c>num_local_experts</c> / <c>num_experts</c>).</param>
/// <param name="TopK">Experts each token is routed to, k (<c>num_experts_per_tok</c>).</param>
/// <param name="ExpertIntermediateSize">Each expert's SwiGLU width i (<c>moe_intermediate_size</c>; Mixtral and OLMoE use
/// <c>intermediate_size</c>).</param>
/// <param name="SharedExpertIntermediateSize">Width of the always-on shared expert (Qwen2-MoE's
/// <c>shared_expert_intermediate_size</c>); 0 when there is none.</param>
/// <param name="DecoderSparseStep">Every this-many-th layer is sparse (<c>decoder_sparse_step</c>; 1 = all).</param>
/// <param name="MlpOnlyLayers">Layers that keep a dense MLP of <c>intermediate_size</c> (<c>mlp_only_layers</c>).</param>
/// <param name="NormTopKProb">Whether the k routing weights are renormalised to sum to 1 (<c>norm_topk_prob</c>;
/// Mixtral always does).</param>
public sealed record MoeConfig(int Experts, int TopK, int ExpertIntermediateSize, int SharedExpertIntermediateSize,
    int DecoderSparseStep, IReadOnlyList<int> MlpOnlyLayers, bool NormTopKProb)
{
    /// <summary>Which transformers layout to plan for (default: 5.x's fused experts).</summary>
    public MoeLayout Layout { get; init; } = MoeLayout.Fused;

    /// <summary>transformers 5.x's experts implementation (<c>experts_implementation</c>; default grouped_mm). The 4.x
    /// layout always runs the eager loop.</summary>
    public ExpertsImplementation Implementation { get; init; } = ExpertsImplementation.GroupedMm;

    /// <summary>Whether layer <paramref name="layer"/> is a sparse block, by Qwen2-MoE's rule (<c>Qwen2MoeDecoderLayer</c>):
    /// not in <see cref="MlpOnlyLayers"/>, experts &gt; 0 and (layer + 1) divisible by <see cref="DecoderSparseStep"/>.</summary>
    public bool IsSparse(int layer)
    {
        foreach (int l in MlpOnlyLayers)
            if (l == layer) return false;
        return Experts > 0 && (layer + 1) % DecoderSparseStep == 0;
    }

    /// <summary>Checks the sizes; throws <see cref="PlannerInputException"/> naming the field.</summary>
    public void Validate(string model)
    {
        (string Field, int Value)[] sizes =
        [
            ("num_experts", Experts), ("num_experts_per_tok", TopK), ("moe_intermediate_size", ExpertIntermediateSize),
            ("decoder_sparse_step", DecoderSparseStep),
        ];
        foreach (var (field, value) in sizes)
            if (value <= 0) throw new PlannerInputException($"model '{model}': {field} must be positive, got {value}");
        if (TopK > Experts)
            throw new PlannerInputException($"model '{model}': num_experts_per_tok ({TopK}) exceeds the number of experts ({Experts})");
        if (SharedExpertIntermediateSize < 0)
            throw new PlannerInputException($"model '{model}': shared_expert_intermediate_size must not be negative, got {SharedExpertIntermediateSize}");
    }

    /// <summary>Structural equality (the layer list by its values), so equal configs give equal part designs.</summary>
    public bool Equals(MoeConfig? other) =>
        other is not null && Experts == other.Experts && TopK == other.TopK && ExpertIntermediateSize == other.ExpertIntermediateSize
        && SharedExpertIntermediateSize == other.SharedExpertIntermediateSize && DecoderSparseStep == other.DecoderSparseStep
        && NormTopKProb == other.NormTopKProb && Layout == other.Layout && Implementation == other.Implementation
        && MlpOnlyLayers.SequenceEqual(other.MlpOnlyLayers);

    public override int GetHashCode() => HashCode.Combine(Experts, TopK, ExpertIntermediateSize, SharedExpertIntermediateSize,
        DecoderSparseStep, NormTopKProb, Layout, MlpOnlyLayers.Count);
}
