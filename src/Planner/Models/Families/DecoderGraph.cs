using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models.Layout;
using R = GaLore.Planner.Models.Families.DecoderRoles;

namespace GaLore.Planner.Models.Families;

/// <summary>
/// The op graphs of the dense decoders' parts (<see cref="DecoderEmbeddingDesign"/>, <see cref="DecoderBlockDesign"/>,
/// <see cref="DecoderHeadDesign"/>), composed from <see cref="GraphParts"/> in the order each family's modeling file runs
/// them. The TorchSharp twin (<c>src/Profiler/Model/Families/DecoderTwin.cs</c>) runs the same ops in the same order.
/// </summary>
public static class DecoderGraph
{
    /// <summary>The graph of one part.</summary>
    public static OpGraph Of(PartDesign design, GraphContext x, string family) => design switch
    {
        DecoderEmbeddingDesign e => Embedding(e, x),
        DecoderBlockDesign d => Block(d, x),
        DecoderHeadDesign d => Head(d, x),
        _ => throw new ArgumentException($"{family} has no part design {design.GetType().Name}", nameof(design)),
    };

    /// <summary>
    /// Tables first (rotary cos/sin; under eager attention the float masks <c>create_causal_mask</c> and
    /// <c>create_sliding_window_causal_mask</c> build, one per layer type; under SDPA the boolean window mask, from the
    /// window's length on), then the token lookup, GPT-2's position lookup and sum, Gemma's √h scaling and GPT-2's
    /// embedding dropout. The tables are kept to the end of the step (Hugging Face drops the masks when the model's
    /// forward returns: during backward this over-counts them).
    /// </summary>
    static OpGraph Embedding(DecoderEmbeddingDesign d, GraphContext x)
    {
        long r = x.ResidualBytes, a = x.ActivationBytes, h = d.Hidden;
        var b = new GraphBuilder("embedding");
        var embed = b.Param(R.Embed);
        var positions = d.LearnedPositions ? b.Param(R.Positions) : null;
        var tables = new List<GraphTensor>();
        long ropeBytes = d.Float32Rotary ? 4 : a;
        for (int t = 0; t < d.RotaryTables; t++)
            tables.Add(b.Tensor(d.RotaryTables > 1 ? $"rope cos/sin {t + 1}" : "rope cos/sin", Extent.Tokens(2 * ropeBytes * d.RotaryWidth), requiresGrad: false));
        if (x.Attention == AttentionKind.Math)
        {
            if (d.FullLayers) tables.Add(b.Tensor("causal mask", Extent.TokensBySeq(a), requiresGrad: false));
            if (d.SlidingLayers) tables.Add(b.Tensor("sliding-window mask", Extent.TokensBySeq(a), requiresGrad: false));
        }
        else if (d.SlidingLayers && x.LongSequence)
            tables.Add(b.Tensor("sliding-window mask (bool)", Extent.TokensBySeq(1), requiresGrad: false));
        if (tables.Count > 0) b.Op("rotary tables, masks", [], tables.ToArray(), saved: tables.ToArray());
        var hidden = b.Tensor("token embeddings", Extent.Tokens(r * h));
        b.Op("embed_tokens", [], [hidden], parameters: [embed]);
        if (positions is not null)
        {
            var pe = b.Tensor("position embeddings", Extent.Tokens(r * h)); // (1, T, h): exact at batch 1
            b.Op("wpe", [], [pe], parameters: [positions]);
            var sum = b.Tensor("tokens + positions", Extent.Tokens(r * h));
            b.Op("+ positions", [hidden, pe], [sum], passThroughGrad: true);
            hidden = sum;
        }
        if (d.ScaleEmbeddings)
        {
            var scaled = b.Tensor("embeddings·√h", Extent.Tokens(r * h));
            b.Op("· √h", [hidden], [scaled]);
            hidden = scaled;
        }
        hidden = GraphParts.Dropout(b, x, "embedding dropout", hidden, r, d.Dropout);
        return b.Build(hidden);
    }

    /// <summary>One block: norms where the design places them, attention, the MLP, residual dropouts and the residual
    /// additions (sequential, or GPT-NeoX's parallel sum).</summary>
    static OpGraph Block(DecoderBlockDesign d, GraphContext x)
    {
        long r = x.ResidualBytes, a = x.ActivationBytes, h = d.Hidden;
        var b = new GraphBuilder("block");
        var input = b.Input("hidden", Extent.Tokens(r * h));
        GraphTensor Norm(string role, GraphTensor t, long elementBytes) =>
            GraphParts.Norm(b, x, d.Norm, role, t, elementBytes, h, 1, b.Param(role), d.Norm == NormKind.LayerNorm ? b.Param(role + R.Bias) : null);

        if (d.ParallelResidual)
        {
            var attn = GraphParts.Dropout(b, x, "attention dropout (post_attention_dropout)", Attention(b, x, d, Norm(R.AttnNorm, input, r)), a, d.ResidualDropout);
            var mlp = Mlp(b, x, d, Norm(R.MlpNorm, input, r));
            var branches = b.Tensor("mlp + attention", Extent.Tokens(a * h));
            b.Op("mlp + attention", [mlp, attn], [branches], passThroughGrad: true);
            return b.Build(GraphParts.ResidualAdd(b, x, "parallel", "hidden", branches, input, h));
        }
        var attnIn = d.Placement == NormPlacement.Post ? input : Norm(R.AttnNorm, input, r);
        var o = Attention(b, x, d, attnIn);
        if (d.Placement != NormPlacement.Pre) o = Norm(R.AttnPostNorm, o, a);
        o = GraphParts.Dropout(b, x, "attention residual dropout", o, a, d.ResidualDropout);
        var h1 = GraphParts.ResidualAdd(b, x, "attention", "hidden after attention", input, o, h);
        var mlpIn = d.Placement == NormPlacement.Post ? h1 : Norm(R.MlpNorm, h1, r);
        var m = Mlp(b, x, d, mlpIn, postNorm: d.Placement != NormPlacement.Pre ? t => Norm(R.MlpPostNorm, t, a) : null);
        return b.Build(GraphParts.ResidualAdd(b, x, "mlp", "hidden", h1, m, h));
    }

    static (ParamRole Weight, ParamRole? Bias) Linear(GraphBuilder b, string role, bool bias) =>
        (b.Param(role), bias ? b.Param(role + R.Bias) : null);

    static GraphTensor Project(GraphBuilder b, GraphContext x, string role, GraphTensor input, long outFeatures, long inFeatures, bool bias)
    {
        var (w, bi) = Linear(b, role, bias);
        return GraphParts.Linear(b, x, role, input, outFeatures, inFeatures, w, bi);
    }

    /// <summary>Projections (separate, sliced, split or per-head chunks of a fused one), q/k norms, rotary, K/V repeated
    /// for grouped-query attention, the attention itself and the output projection.</summary>
    static GraphTensor Attention(GraphBuilder b, GraphContext x, DecoderBlockDesign d, GraphTensor input)
    {
        long a = x.ActivationBytes, h = d.Hidden, qd = d.QueryDim, kvd = d.KeyValueDim;
        GraphTensor q, k, v;
        if (d.Qkv == QkvLayout.Separate)
        {
            q = Project(b, x, R.Q, input, qd, h, d.QkvBias);
            k = Project(b, x, R.K, input, kvd, h, d.QkvBias);
            v = Project(b, x, R.V, input, kvd, h, d.QkvBias);
        }
        else
        {
            var qkv = Project(b, x, R.Qkv, input, qd + 2 * kvd, h, d.QkvBias);
            if (d.Qkv == QkvLayout.FusedSliced)
            {
                q = GraphParts.Slice(b, "q", qkv, a * qd);
                k = GraphParts.Slice(b, "k", qkv, a * kvd);
                v = GraphParts.Slice(b, "v", qkv, a * kvd);
            }
            else
            {
                var parts = GraphParts.Split(b, d.Qkv == QkvLayout.FusedSplit ? "split q, k, v" : "chunk q, k, v per head", qkv,
                    ("q", a * qd), ("k", a * kvd), ("v", a * kvd));
                (q, k, v) = (parts[0], parts[1], parts[2]);
            }
        }
        if (d.QkNorm != QkNormKind.None)
        {
            bool perHead = d.QkNorm == QkNormKind.PerHead;
            var qNormKind = d.Norm == NormKind.LayerNorm ? NormKind.Rms : d.Norm;
            q = GraphParts.Norm(b, x, qNormKind, R.QNorm, q, a, qd, perHead ? d.Heads : 1, b.Param(R.QNorm));
            k = GraphParts.Norm(b, x, qNormKind, R.KNorm, k, a, kvd, perHead ? d.KeyValueHeads : 1, b.Param(R.KNorm));
        }
        if (d.RotaryWidth > 0)
        {
            if (d.RotaryWidth < d.HeadDim)
            {
                q = GraphParts.PartialRotary(b, x, "q", q, qd, d.Heads, d.RotaryWidth);
                k = GraphParts.PartialRotary(b, x, "k", k, kvd, d.KeyValueHeads, d.RotaryWidth);
            }
            else if (d.Float32Rotary)
            {
                q = GraphParts.Float32Rotary(b, x, "q", q, qd);
                k = GraphParts.Float32Rotary(b, x, "k", k, kvd);
            }
            else
            {
                q = GraphParts.Rotary(b, x, "q", q, qd);
                k = GraphParts.Rotary(b, x, "k", k, kvd);
            }
        }
        if (d.KeyValueHeads < d.Heads && x.Flavor.RepeatKvForGqa)
        {
            k = GraphParts.RepeatKv(b, x, "k", k, qd);
            v = GraphParts.RepeatKv(b, x, "v", v, qd);
        }
        var call = new AttentionCall(d.Heads, qd, d.Eager == EagerAttention.Gpt2, d.AttnSoftcap > 0, d.AttentionDropout,
            WindowMask: d.Sliding && x.LongSequence, HeadsMajorQuery: d.RotaryWidth > 0 && d.RotaryWidth < d.HeadDim);
        var attended = GraphParts.DecoderAttention(b, x, call, q, k, v);
        return Project(b, x, R.O, attended, h, qd, d.OutputBias);
    }

    /// <summary>The MLP, its post-norm (Gemma, OLMo-2) and its residual dropout.</summary>
    static GraphTensor Mlp(GraphBuilder b, GraphContext x, DecoderBlockDesign d, GraphTensor input, Func<GraphTensor, GraphTensor>? postNorm = null)
    {
        long a = x.ActivationBytes, h = d.Hidden, i = d.Intermediate;
        GraphTensor hidden;
        switch (d.Mlp)
        {
            case MlpKind.Gated:
                var gate = Project(b, x, R.Gate, input, i, h, d.MlpBias);
                var up = Project(b, x, R.Up, input, i, h, d.MlpBias);
                hidden = GraphParts.GatedProduct(b, x, d.Activation, gate, up, i);
                break;
            case MlpKind.GatedFused:
                var gateUp = Project(b, x, R.GateUp, input, 2 * i, h, d.MlpBias);
                var halves = GraphParts.Split(b, "chunk gate, up", gateUp, ("gate", a * i), ("up", a * i));
                hidden = GraphParts.GatedProduct(b, x, d.Activation, halves[0], halves[1], i);
                break;
            case MlpKind.Plain:
                var fc = Project(b, x, R.Up, input, i, h, d.MlpBias);
                hidden = GraphParts.Activation(b, x, R.Up, fc, i, d.Activation);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(d), d.Mlp, "unknown MLP kind");
        }
        var down = Project(b, x, R.Down, hidden, h, i, d.MlpBias);
        if (postNorm is not null) down = postNorm(down);
        return GraphParts.Dropout(b, x, "mlp residual dropout", down, a, d.ResidualDropout);
    }

    /// <summary>The final norm, lm_head, Gemma's final soft-cap on the model-dtype logits, and the loss.</summary>
    static OpGraph Head(DecoderHeadDesign d, GraphContext x)
    {
        var b = new GraphBuilder("head");
        var norm = b.Param(R.FinalNorm);
        var normBias = d.Norm == NormKind.LayerNorm ? b.Param(R.FinalNorm + R.Bias) : null;
        var lmHead = b.Param(R.LmHead);
        var input = b.Input("hidden", Extent.Tokens(x.ResidualBytes * d.Hidden));
        var n = GraphParts.Norm(b, x, d.Norm, R.FinalNorm, input, x.ResidualBytes, d.Hidden, 1, norm, normBias);
        var logits = GraphParts.Linear(b, x, R.LmHead, n, d.Vocab, d.Hidden, lmHead, null);
        if (d.FinalSoftcap > 0) logits = GraphParts.SoftCap(b, "final logit soft-cap", logits);
        GraphParts.CrossEntropy(b, x, logits, d.Vocab);
        return b.Build(null);
    }
}
