namespace GaLore.Planner.Models.Families;

/// <summary>
/// Qwen3-MoE (<c>Qwen3MoeForCausalLM</c>): blocks with per-head RMSNorm on queries and keys (q_norm/k_norm over
/// head_dim) whose MLP is a top-k mixture of SwiGLU experts of <c>moe_intermediate_size</c>, no shared expert; layers in
/// <c>mlp_only_layers</c> or off the <c>decoder_sparse_step</c> keep a dense MLP of <c>intermediate_size</c>.
/// <c>Qwen3MoeConfig</c> defaults: 128 experts (5.x also reads <c>num_local_experts</c>), 8 per token, 4 K/V heads,
/// <c>attention_bias</c> (q, k, v and o) false. transformers 5.x registers the experts before the router.
/// </summary>
public sealed class Qwen3MoeFamily : MoeDecoderFamily
{
    public override string ModelType => "qwen3_moe";

    public override string Summary =>
        "blocks with per-head q/k RMSNorm and a top-k mixture of SwiGLU experts; mlp_only_layers stay dense";

    protected override QkNormKind QkNorm => QkNormKind.PerHead;
    protected override bool FusedExpertsBeforeRouter => true;

    public override ModelConfig Parse(HfConfigReader r)
    {
        r.Reject("Qwen3MoeForCausalLM has no shared expert", "shared_expert_intermediate_size");
        bool bias = r.OptionalBool("attention_bias") ?? false;
        var moe = new MoeConfig(r.OptionalInt("num_experts") ?? r.OptionalInt("num_local_experts") ?? 128,
            r.OptionalInt("num_experts_per_tok") ?? 8, r.OptionalInt("moe_intermediate_size") ?? 768, SharedExpertIntermediateSize: 0,
            r.OptionalInt("decoder_sparse_step") ?? 1, r.OptionalIntList("mlp_only_layers") ?? [], r.OptionalBool("norm_topk_prob") ?? false);
        return ParseCommon(r, new Defaults(151936, 2048, 6144, 24, 32, 4, 32768), moe, qkvBias: bias, outputBias: bias);
    }
}
