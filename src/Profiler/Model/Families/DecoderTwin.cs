using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models;
using GaLore.Planner.Models.Families;
using GaLore.Planner.Models.Layout;
using GaLore.Profiler.Model.Parts;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using R = GaLore.Planner.Models.Families.DecoderRoles;

namespace GaLore.Profiler.Model.Families;

/// <summary>
/// The TorchSharp twin of the dense decoder families (<see cref="DecoderFamily"/>: qwen3, gemma2, gemma3_text, phi3, olmo2,
/// gpt2, gpt_neox), which share one set of designs: each part is built from its design and the parameters its roles bind —
/// norms (fused RMS, Gemma's 1 + w, LayerNorm), Linear or Conv1D projections, the attention and MLP variants, dropout
/// (seeded once per model from <see cref="ModelOptions.Seed"/>), and the head with Gemma's soft-cap.
/// </summary>
public sealed class DecoderTwin : FamilyTwin
{
    public override IReadOnlyList<ModelFamily> Families =>
        [ModelFamilies.Qwen3, ModelFamilies.Gemma2, ModelFamilies.Gemma3Text, ModelFamilies.Phi3, ModelFamilies.Olmo2, ModelFamilies.Gpt2, ModelFamilies.GptNeoX];

    /// <summary>Gemma's RMSNorms scale by 1 + w, so transformers initialises w to zeros (<c>Gemma2PreTrainedModel._init_weights</c>).</summary>
    static bool OffsetNorms(ModelConfig c) => c.Family is GemmaFamily;

    public override Tensor InitialValue(ParameterTensor t, ScalarType dtype, Device device, Generator init, double std, ModelConfig config) =>
        t.Kind switch
        {
            TensorKind.Norm when OffsetNorms(config) => torch.zeros(t.Rows, dtype, device),
            TensorKind.Conv1D or TensorKind.PositionEmbedding => Model.Init.Normal([t.Rows, t.Cols], std, dtype, device, init),
            _ => base.InitialValue(t, dtype, device, init, std, config),
        };

    public override ModelPart Create(LayoutPart part, PartParameters p, ModelConfig config, ModelOptions o)
    {
        double eps = o.RmsNormEps;
        double offset = OffsetNorms(config) ? 1.0 : 0.0;
        switch (part.Design)
        {
            case DecoderEmbeddingDesign e:
                if (config.AttentionDropout > 0 || config.ResidualDropout > 0 || config.EmbeddingDropout > 0) torch.manual_seed(o.Seed);
                return new DecoderEmbedding(part, e, p[R.Embed], p.Optional(R.Positions), config.SlidingWindow, o.RopeTheta, LocalRopeTheta);
            case DecoderBlockDesign d:
            {
                DecoderNorm? Norm(string role) => p.Optional(role) is { } w ? new DecoderNorm(d.Norm, w, p.Optional(role + R.Bias), eps, offset) : null;
                var qkNormKind = d.Norm == NormKind.LayerNorm ? NormKind.Rms : d.Norm;
                DecoderNorm? QkNorm(string role) => p.Optional(role) is { } w ? new DecoderNorm(qkNormKind, w, null, eps, offset) : null;
                IProjection? Proj(string role) => p.Optional(role) is not { } w ? null
                    : config.Family is Gpt2Family ? new Conv1D(w, p[role + R.Bias]) : new Projection(w, p.Optional(role + R.Bias));
                double scale = 1.0 / Math.Sqrt(config.QueryPreAttnScalar > 0 ? config.QueryPreAttnScalar : d.HeadDim);
                var buffer = d.Eager == EagerAttention.Gpt2 ? CausalBuffer(config.MaxPositionEmbeddings, o) : null;
                var attention = new DecoderAttention(d, Proj(R.Q), Proj(R.K), Proj(R.V), Proj(R.Qkv), Proj(R.O)!, QkNorm(R.QNorm), QkNorm(R.KNorm), scale, buffer);
                var mlp = new DecoderMlp(d, Proj(R.Gate), Proj(R.Up)!, Proj(R.Down)!, Proj(R.GateUp), Norm(R.MlpPostNorm));
                return new DecoderBlock(part, d, Norm(R.AttnNorm), attention, Norm(R.AttnPostNorm), Norm(R.MlpNorm), mlp, buffer);
            }
            case DecoderHeadDesign h:
                return new DecoderHead(part, h, new DecoderNorm(h.Norm, p[R.FinalNorm], p.Optional(R.FinalNorm + R.Bias), eps, offset), p[R.LmHead]);
            default:
                throw new ArgumentException($"DecoderTwin cannot build a {part.Design.GetType().Name}");
        }
    }

    /// <summary>Gemma-3's <c>rope_local_base_freq</c> for its sliding-window layers.</summary>
    const double LocalRopeTheta = 10000;

    /// <summary>GPT-2's per-layer <c>attn.bias</c>: tril of ones, (1, 1, n_positions, n_positions) bool, on the device.</summary>
    static Tensor CausalBuffer(int positions, ModelOptions o)
    {
        using var scope = torch.NewDisposeScope();
        var mask = torch.ones(positions, positions, ScalarType.Bool, torch.device(o.Device)).tril().view(1, 1, positions, positions);
        return mask.DetachFromDisposeScope();
    }
}
