using GaLore.Planner.Models;
using GaLore.Planner.Models.Families;
using GaLore.Planner.Models.Layout;
using GaLore.Profiler.Model.Parts;

namespace GaLore.Profiler.Model.Families;

/// <summary>The TorchSharp twin of the mixture-of-experts families (<see cref="MoeDecoderFamily"/>: mixtral, qwen2_moe,
/// qwen3_moe, olmoe): Llama's embedding and head around pre-norm blocks of attention (with the family's q/k norms) and a
/// <see cref="SparseMoe"/> — or, on Qwen's dense layers, a SwiGLU MLP — built from the layout's roles in either transformers
/// layout.</summary>
public sealed class MoeTwin : FamilyTwin
{
    public override IReadOnlyList<ModelFamily> Families => [ModelFamilies.Mixtral, ModelFamilies.Qwen2Moe, ModelFamilies.Qwen3Moe, ModelFamilies.Olmoe];

    public override ModelPart Create(LayoutPart part, PartParameters p, ModelConfig config, ModelOptions o) => part.Design switch
    {
        LlamaFamily.EmbeddingDesign d => new RotaryTokenEmbedding(part, p["embed_tokens"], d.HeadDim),
        MoeDecoderFamily.BlockDesign d => new PreNormBlock(part,
            new RmsNorm(p["input_layernorm"], o.RmsNormEps),
            SelfAttention(d.Attention, p, o),
            new RmsNorm(p["post_attention_layernorm"], o.RmsNormEps),
            d.Sparse is { } s ? Sparse(s, p) : Dense(p, "")),
        LlamaFamily.HeadDesign => new NormLmHead(part, new RmsNorm(p["norm"], o.RmsNormEps), p["lm_head"]),
        _ => throw new ArgumentException($"MoeTwin cannot build a {part.Design.GetType().Name}"),
    };

    static Attention SelfAttention(MoeDecoderFamily.AttentionDesign d, PartParameters p, ModelOptions o)
    {
        bool norms = d.QkNorm != QkNormKind.None;
        return new Attention(d.Heads, d.KeyValueHeads, d.HeadDim, Lin(p, "q_proj"), Lin(p, "k_proj"), Lin(p, "v_proj"), Lin(p, "o_proj"),
            norms ? new RmsNorm(p["q_norm"], o.RmsNormEps) : null, norms ? new RmsNorm(p["k_norm"], o.RmsNormEps) : null,
            normPerHead: d.QkNorm == QkNormKind.PerHead);
    }

    static SwiGluMlp Dense(PartParameters p, string prefix) =>
        new(Lin(p, prefix + "gate_proj"), Lin(p, prefix + "up_proj"), Lin(p, prefix + "down_proj"));

    static SparseMoe Sparse(MoeDecoderFamily.SparseMlpDesign d, PartParameters p)
    {
        ExpertParameters experts;
        if (d.Layout == MoeLayout.Fused) experts = new(p["experts.gate_up_proj"], p["experts.down_proj"], [], [], []);
        else
        {
            var range = Enumerable.Range(0, d.Experts);
            experts = new(null, null, range.Select(e => Lin(p, $"experts.{e}.gate")).ToList(),
                range.Select(e => Lin(p, $"experts.{e}.up")).ToList(), range.Select(e => Lin(p, $"experts.{e}.down")).ToList());
        }
        bool shared = d.SharedIntermediate > 0;
        return new SparseMoe(d, p["gate"], experts, shared ? Dense(p, "shared_expert.") : null, shared ? p["shared_expert_gate"] : null);
    }

    static Projection Lin(PartParameters p, string role) => new(p[role], p.Optional(role + ".bias"));
}
