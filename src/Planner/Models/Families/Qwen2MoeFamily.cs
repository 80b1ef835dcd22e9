namespace GaLore.Planner.Models.Families;

/// <summary>
/// Qwen2-MoE / Qwen1.5-MoE (<c>Qwen2MoeForCausalLM</c>): Qwen2 blocks (q/k/v biases) whose MLP is a top-k mixture of
/// SwiGLU experts of <c>moe_intermediate_size</c> plus an always-on shared expert of
/// <c>shared_expert_intermediate_size</c> scaled by a sigmoid gate (<c>shared_expert_gate</c>, a 1 × h Linear); layers
/// in <c>mlp_only_layers</c> or off the <c>decoder_sparse_step</c> keep a dense MLP of <c>intermediate_size</c>.
/// <c>Qwen2MoeConfig</c> defaults: 60 experts, 4 per token, no renormalisation (<c>norm_topk_prob</c> false).
/// </summary>
public sealed class Qwen2MoeFamily : MoeDecoderFamily
{
    public override string ModelType => "qwen2_moe";

    public override string Summary =>
        "Qwen2 blocks (q/k/v biases) with a top-k mixture of SwiGLU experts and a gated shared expert; mlp_only_layers stay dense";

    protected override QkNormKind QkNorm => QkNormKind.None;

    public override ModelConfig Parse(HfConfigReader r)
    {
        r.Reject("Qwen2MoeForCausalLM ignores it (use num_experts)", "num_local_experts");
        var moe = new MoeConfig(r.OptionalInt("num_experts") ?? 60, r.OptionalInt("num_experts_per_tok") ?? 4,
            r.OptionalInt("moe_intermediate_size") ?? 1408, r.OptionalInt("shared_expert_intermediate_size") ?? 5632,
            r.OptionalInt("decoder_sparse_step") ?? 1, r.OptionalIntList("mlp_only_layers") ?? [],
            r.OptionalBool("norm_topk_prob") ?? false);
        return ParseCommon(r, new Defaults(151936, 2048, 5632, 24, 16, 16, 32768), moe,
            qkvBias: r.OptionalBool("qkv_bias") ?? true, outputBias: false);
    }
}
