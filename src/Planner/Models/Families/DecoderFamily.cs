using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models.Layout;

namespace GaLore.Planner.Models.Families;

/// <summary>
/// A dense decoder family built from the shared designs (<see cref="DecoderBlockDesign"/> and its embedding and head):
/// each subclass reads its <c>config.json</c>, validates, and lays its Hugging Face tensors out in
/// <c>named_parameters()</c> order, binding them to the <see cref="DecoderRoles"/>; the graphs come from
/// <see cref="DecoderGraph"/>.
/// </summary>
public abstract class DecoderFamily : ModelFamily
{
    public sealed override OpGraph Graph(PartDesign design, GraphContext context) => DecoderGraph.Of(design, context, ModelType);

    /// <summary>The per-layer attention pattern: 'S' where <paramref name="sliding"/>(layer), else 'F'; null when no layer slides.</summary>
    protected static string? Pattern(int layers, Func<int, bool> sliding)
    {
        // Bounded before the array is made: Validate's check comes after the family has read its fields.
        Inputs.InputBounds.Positive(layers, Inputs.InputBounds.MaxLayers, "num_hidden_layers");
        var chars = new char[layers];
        bool any = false;
        for (int l = 0; l < layers; l++)
        {
            chars[l] = sliding(l) ? 'S' : 'F';
            any |= chars[l] == 'S';
        }
        return any ? new string(chars) : null;
    }

    /// <summary><c>layer_types</c> from a config (a list of "sliding_attention"/"full_attention"), or null when absent.</summary>
    protected static string? ReadLayerTypes(HfConfigReader r)
    {
        if (r.OptionalStringList("layer_types") is not { } types) return null;
        var chars = new char[types.Length];
        for (int l = 0; l < types.Length; l++)
            chars[l] = types[l] switch
            {
                "sliding_attention" => 'S',
                "full_attention" => 'F',
                _ => throw new PlannerInputException($"model config '{r.Name}': layer_types[{l}] '{types[l]}' is not modelled (modelled: sliding_attention, full_attention)"),
            };
        return new string(chars);
    }

    /// <summary>Whether any layer attends fully (every layer, unless a pattern says otherwise).</summary>
    protected static bool HasFull(ModelConfig c) => c.LayerTypes is not { } t || t.Contains('F');

    /// <summary>Mixture-of-experts keys change the MLP's tensors and memory; on a dense family they are an error, never a
    /// silently dense model.</summary>
    protected static void RejectMoe(HfConfigReader r) =>
        r.Reject("mixture-of-experts keys on a dense family (use the family's MoE model_type)",
            "num_experts", "num_local_experts", "num_experts_per_tok", "moe_intermediate_size", "n_routed_experts",
            "n_shared_experts", "shared_expert_intermediate_size", "decoder_sparse_step", "moe_layer_freq", "first_k_dense_replace");

    /// <summary>The checks of the families whose attention_bias covers q, k, v and o together, whose MLP has no biases and
    /// whose rotary embedding spans head_dim.</summary>
    protected void RequireLlamaStyleBiasesAndEvenHeadDim(ModelConfig c)
    {
        if (c.HeadDim % 2 != 0)
            throw new PlannerInputException($"model '{c.Name}': head_dim ({c.HeadDim}) must be even for rotary embeddings");
        if (c.OutputBias != c.QkvBias || c.MlpBias)
            throw new PlannerInputException($"model '{c.Name}': {ModelType}'s attention_bias puts biases on q, k, v and o together, and its MLP has none");
    }

    /// <summary>Throws when a dropout probability the family does not model is non-zero.</summary>
    protected static void RejectDropout(HfConfigReader r, params string[] fields)
    {
        foreach (var f in fields)
            if (r.OptionalDouble(f) is { } p && p != 0)
                throw new PlannerInputException($"model config '{r.Name}': field '{f}' = {p} is not supported: this family's dropout is not modelled");
    }

    /// <summary>The embedding, blocks and head of a layout, one tensor per call, in the order the family registers them.</summary>
    protected sealed class Tensors(ModelConfig config)
    {
        readonly LayoutBuilder b = new(config);

        /// <summary>The underlying builder (for sharing a tied weight and closing parts).</summary>
        public LayoutBuilder Builder => b;

        /// <summary>A weight matrix of <paramref name="kind"/>, rows × cols as Hugging Face stores it, and its bias when
        /// <paramref name="bias"/> (rows, or cols for a Conv1D whose weight is [in, out]).</summary>
        public int Matrix(string role, string module, TensorKind kind, int layer, long rows, long cols, bool bias = false)
        {
            int w = b.Param(role, new ParameterTensor($"{module}.weight", module, kind, layer, rows, cols));
            if (bias) b.Param(role + DecoderRoles.Bias, new ParameterTensor($"{module}.bias", module, TensorKind.Bias, layer, kind == TensorKind.Conv1D ? cols : rows, 1));
            return w;
        }

        /// <summary>The Llama-style <c>self_attn.{q,k,v,o}_proj</c> of layer <paramref name="layer"/> under <paramref name="prefix"/>,
        /// with the configuration's biases.</summary>
        public void SelfAttention(string prefix, int layer)
        {
            long h = config.HiddenSize, q = config.QueryDim, kv = config.KeyValueDim;
            Matrix(DecoderRoles.Q, $"{prefix}.self_attn.q_proj", TensorKind.AttentionProjection, layer, q, h, config.QkvBias);    // (heads·d) × h
            Matrix(DecoderRoles.K, $"{prefix}.self_attn.k_proj", TensorKind.AttentionProjection, layer, kv, h, config.QkvBias);   // (kv_heads·d) × h
            Matrix(DecoderRoles.V, $"{prefix}.self_attn.v_proj", TensorKind.AttentionProjection, layer, kv, h, config.QkvBias);   // (kv_heads·d) × h
            Matrix(DecoderRoles.O, $"{prefix}.self_attn.o_proj", TensorKind.AttentionProjection, layer, h, q, config.OutputBias); // h × (heads·d)
        }

        /// <summary>The gated <c>mlp.{gate,up,down}_proj</c> of layer <paramref name="layer"/> under <paramref name="prefix"/>.</summary>
        public void GatedMlp(string prefix, int layer)
        {
            long h = config.HiddenSize, i = config.IntermediateSize;
            Matrix(DecoderRoles.Gate, $"{prefix}.mlp.gate_proj", TensorKind.MlpProjection, layer, i, h); // i × h
            Matrix(DecoderRoles.Up, $"{prefix}.mlp.up_proj", TensorKind.MlpProjection, layer, i, h);     // i × h
            Matrix(DecoderRoles.Down, $"{prefix}.mlp.down_proj", TensorKind.MlpProjection, layer, h, i); // h × i
        }

        /// <summary>A norm's weight of <paramref name="width"/> (and its bias, for a LayerNorm).</summary>
        public void Norm(string role, string module, int layer, long width, bool bias = false)
        {
            b.Param(role, new ParameterTensor($"{module}.weight", module, TensorKind.Norm, layer, width, 1));
            if (bias) b.Param(role + DecoderRoles.Bias, new ParameterTensor($"{module}.bias", module, TensorKind.Bias, layer, width, 1));
        }

        /// <summary>The token embedding V × h; <paramref name="tiedLinear"/> names the lm_head module that shares it.</summary>
        public int Embedding(string module, long vocab, long hidden, string? tiedLinear) =>
            b.Param(DecoderRoles.Embed, new ParameterTensor($"{module}.weight", module, TensorKind.Embedding, -1, vocab, hidden) { TiedLinearModule = tiedLinear });

        /// <summary>The head's lm_head: the embedding when tied, else its own V × h Linear.</summary>
        public void LmHead(string module, int embedding, bool tied, long vocab, long hidden)
        {
            if (tied) b.Share(DecoderRoles.LmHead, embedding);
            else b.Param(DecoderRoles.LmHead, new ParameterTensor($"{module}.weight", module, TensorKind.LmHead, -1, vocab, hidden));
        }

        /// <summary>Closes the current part.</summary>
        public void End(PartDesign design, int layer = -1) => b.EndPart(design, layer);

        /// <summary>The layout; models with sliding-window layers get a second graph from the window's length on.</summary>
        public ModelLayout Build(long[]? buffers = null) => b.Build(config.HasSlidingLayers ? config.SlidingWindow : 0, buffers);
    }
}
