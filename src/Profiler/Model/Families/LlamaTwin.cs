using GaLore.Planner.Models;
using GaLore.Planner.Models.Families;
using GaLore.Planner.Models.Layout;
using GaLore.Profiler.Model.Parts;

namespace GaLore.Profiler.Model.Families;

/// <summary>The TorchSharp twin of <see cref="LlamaFamily"/> (llama, mistral, qwen2): token embedding with rotary tables,
/// pre-norm blocks (RMSNorm, rotary GQA attention, SwiGLU MLP), final RMSNorm + lm_head + loss.</summary>
public sealed class LlamaTwin : FamilyTwin
{
    public override IReadOnlyList<ModelFamily> Families => [ModelFamilies.Llama, ModelFamilies.Mistral, ModelFamilies.Qwen2];

    public override ModelPart Create(LayoutPart part, PartParameters p, ModelConfig config, ModelOptions o) => part.Design switch
    {
        LlamaFamily.EmbeddingDesign d => new RotaryTokenEmbedding(part, p["embed_tokens"], d.HeadDim),
        LlamaFamily.BlockDesign d => new PreNormBlock(part,
            new RmsNorm(p["input_layernorm"], o.RmsNormEps),
            new Attention(d.Heads, d.KeyValueHeads, d.HeadDim,
                Lin(p, "q_proj"), Lin(p, "k_proj"), Lin(p, "v_proj"), Lin(p, "o_proj")),
            new RmsNorm(p["post_attention_layernorm"], o.RmsNormEps),
            new SwiGluMlp(Lin(p, "gate_proj"), Lin(p, "up_proj"), Lin(p, "down_proj"))),
        LlamaFamily.HeadDesign => new NormLmHead(part, new RmsNorm(p["norm"], o.RmsNormEps), p["lm_head"]),
        _ => throw new ArgumentException($"LlamaTwin cannot build a {part.Design.GetType().Name}"),
    };

    static Projection Lin(PartParameters p, string role) => new(p[role], p.Optional(role + ".bias"));
}
