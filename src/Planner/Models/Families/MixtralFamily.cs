namespace GaLore.Planner.Models.Families;

/// <summary>
/// Mixtral (<c>MixtralForCausalLM</c>; Jiang et al. 2024, arXiv 2401.04088): the Mistral block whose MLP is a top-2-of-8
/// mixture of SwiGLU experts, the k routing weights always renormalised. <c>MixtralConfig</c> defaults: 8 experts
/// (<c>num_local_experts</c>; 5.x also reads <c>num_experts</c>), 2 per token, each <c>intermediate_size</c> wide;
/// 8 K/V heads. transformers 4.x names the block <c>block_sparse_moe</c> with experts <c>w1</c> (gate), <c>w2</c> (down),
/// <c>w3</c> (up); 5.x renames it <c>mlp</c> and fuses the experts (<see cref="MoeLayout"/>).
/// </summary>
public sealed class MixtralFamily : MoeDecoderFamily
{
    public override string ModelType => "mixtral";

    public override string Summary =>
        "Mistral blocks with a top-k mixture of SwiGLU experts (weights renormalised); sliding window not modelled: full attention";

    protected override QkNormKind QkNorm => QkNormKind.None;
    protected override string PerExpertBlockModule => "block_sparse_moe";
    protected override (string Module, string Role)[] PerExpertLinears { get; } = [("w1", "gate"), ("w2", "down"), ("w3", "up")];
    protected override bool AlwaysRenormalises => true;
    protected override bool FloatCopyBeforeSoftmax => true;

    public override ModelConfig Parse(HfConfigReader r)
    {
        if (r.OptionalDouble("router_jitter_noise") is > 0)
            r.Reject("router jitter (a random (B, S, h) factor saved for backward) is not modelled; set it to 0", "router_jitter_noise");
        r.Reject("MixtralForCausalLM ignores it (every layer is sparse, no shared expert, weights always renormalised)",
            "moe_intermediate_size", "shared_expert_intermediate_size", "decoder_sparse_step", "mlp_only_layers", "norm_topk_prob");
        int intermediate = r.OptionalInt("intermediate_size") ?? 14336;
        var moe = new MoeConfig(r.OptionalInt("num_local_experts") ?? r.OptionalInt("num_experts") ?? 8,
            r.OptionalInt("num_experts_per_tok") ?? 2, intermediate, SharedExpertIntermediateSize: 0, DecoderSparseStep: 1,
            MlpOnlyLayers: [], NormTopKProb: true);
        return ParseCommon(r, new Defaults(32000, 4096, 14336, 32, 32, 8, 4096 * 32), moe, qkvBias: false, outputBias: false);
    }
}
