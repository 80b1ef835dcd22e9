namespace GaLore.Planner.Models.Families;

/// <summary>
/// OLMoE (<c>OlmoeForCausalLM</c>; Muennighoff et al. 2024, arXiv 2409.02060): blocks with RMSNorm over the whole query
/// and key projections (q_norm of h, k_norm of kv_heads × head_dim, before the heads are split) and a top-k mixture of
/// SwiGLU experts of <c>intermediate_size</c> in every layer. <c>OlmoeConfig</c> defaults: 64 experts
/// (5.x also reads <c>num_local_experts</c>), 8 per token, no renormalisation, <c>attention_bias</c> (q, k, v, o) false.
/// </summary>
public sealed class OlmoeFamily : MoeDecoderFamily
{
    public override string ModelType => "olmoe";

    public override string Summary => "blocks with q/k RMSNorm over all heads and a top-k mixture of SwiGLU experts in every layer";

    protected override QkNormKind QkNorm => QkNormKind.Projection;

    public override ModelConfig Parse(HfConfigReader r)
    {
        r.Reject("clamping q, k and v in place is not modelled", "clip_qkv");
        r.Reject("OlmoeForCausalLM ignores it (every layer is sparse, experts are intermediate_size wide, no shared expert)",
            "moe_intermediate_size", "shared_expert_intermediate_size", "decoder_sparse_step", "mlp_only_layers");
        bool bias = r.OptionalBool("attention_bias") ?? false;
        int intermediate = r.OptionalInt("intermediate_size") ?? 2048;
        var moe = new MoeConfig(r.OptionalInt("num_experts") ?? r.OptionalInt("num_local_experts") ?? 64,
            r.OptionalInt("num_experts_per_tok") ?? 8, intermediate, SharedExpertIntermediateSize: 0, DecoderSparseStep: 1,
            MlpOnlyLayers: [], r.OptionalBool("norm_topk_prob") ?? false);
        return ParseCommon(r, new Defaults(50304, 2048, 2048, 16, 16, null, 4096), moe, qkvBias: bias, outputBias: bias);
    }

    public override void Validate(ModelConfig c)
    {
        base.Validate(c);
        if (c.QueryDim != c.HiddenSize)
            throw new PlannerInputException(
                $"model '{c.Name}': OLMoE's q_norm spans hidden_size ({c.HiddenSize}), so num_attention_heads × head_dim must equal it (got {c.QueryDim})");
    }
}
