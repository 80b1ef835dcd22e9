using GaLore.Planner.Inputs;

namespace GaLore.Planner.Models;

/// <summary>
/// Shape of a decoder-only causal LM: everything that decides its tensor sizes. Field names follow Hugging Face's
/// configuration classes (<c>LlamaConfig</c> and its relatives); what each field means for the layout is the
/// <see cref="ModelFamily"/>'s to say (<see cref="Layout"/>).
/// </summary>
/// <param name="Name">Preset name or the path of the <c>config.json</c> it came from.</param>
/// <param name="Family">The model family (Hugging Face's <c>model_type</c>): reads the config, lays the tensors out and
/// builds each part's op graph.</param>
/// <param name="VocabSize">Token vocabulary size V.</param>
/// <param name="HiddenSize">Model width h (<c>hidden_size</c>).</param>
/// <param name="IntermediateSize">SwiGLU width i (<c>intermediate_size</c>).</param>
/// <param name="NumLayers">Decoder blocks L (<c>num_hidden_layers</c>).</param>
/// <param name="NumHeads">Query heads (<c>num_attention_heads</c>).</param>
/// <param name="NumKeyValueHeads">Key/value heads (<c>num_key_value_heads</c>); fewer than
/// <paramref name="NumHeads"/> means grouped-query attention.</param>
/// <param name="HeadDim">Per-head width (<c>head_dim</c>, default h / heads).</param>
/// <param name="TieWordEmbeddings">Whether <c>lm_head</c> shares the embedding matrix.</param>
/// <param name="QkvBias">Whether the q/k/v projections carry biases (Qwen2: always; Llama: <c>attention_bias</c>).</param>
/// <param name="OutputBias">Whether o_proj carries a bias (Llama with <c>attention_bias</c>; never Qwen2).</param>
/// <param name="MlpBias">Whether gate/up/down carry biases (Llama's <c>mlp_bias</c>).</param>
/// <param name="MaxPositionEmbeddings">Longest sequence the rotary tables are built for.</param>
public sealed record ModelConfig(
    string Name,
    ModelFamily Family,
    int VocabSize,
    int HiddenSize,
    int IntermediateSize,
    int NumLayers,
    int NumHeads,
    int NumKeyValueHeads,
    int HeadDim,
    bool TieWordEmbeddings,
    bool QkvBias,
    bool OutputBias,
    bool MlpBias,
    int MaxPositionEmbeddings)
{
    // Family-specific switches (init-only; the defaults mean "absent", which is what the Llama family has). Each
    // family reads the ones its configuration class defines and its Validate rejects the others
    // (RequireUnset), so a switch no family models never silently becomes a plain Llama.

    /// <summary>Sliding-window width in tokens (<c>sliding_window</c>); 0: no sliding-window attention. Only the layers
    /// <see cref="LayerTypes"/> marks attend within the window.</summary>
    public int SlidingWindow { get; init; }

    /// <summary>Each layer's attention (<c>layer_types</c>), one character per layer: <c>S</c> sliding window, <c>F</c>
    /// full; null: every layer full.</summary>
    public string? LayerTypes { get; init; }

    /// <summary>Gemma-2's <c>attn_logit_softcapping</c> c: scores become c·tanh(scores / c) (eager attention only);
    /// 0: none.</summary>
    public double AttnLogitSoftcapping { get; init; }

    /// <summary>Gemma's <c>final_logit_softcapping</c> c: logits become c·tanh(logits / c) before the loss; 0: none.</summary>
    public double FinalLogitSoftcapping { get; init; }

    /// <summary>Gemma's <c>query_pre_attn_scalar</c> s (attention scale s^-½); 0: head_dim.</summary>
    public double QueryPreAttnScalar { get; init; }

    /// <summary>Rotary width per head (GPT-NeoX's <c>rotary_pct</c>, Phi-3's <c>partial_rotary_factor</c> × head_dim);
    /// 0: all of head_dim. Families without rotary embeddings (GPT-2) ignore it.</summary>
    public int RotaryDim { get; init; }

    /// <summary>The MLP's activation (<c>hidden_act</c>, Gemma's <c>hidden_activation</c>, GPT-2's
    /// <c>activation_function</c>); default SiLU.</summary>
    public HiddenActivation HiddenAct { get; init; }

    /// <summary>GPT-NeoX's <c>use_parallel_residual</c>: x + attn(ln₁(x)) + mlp(ln₂(x)).</summary>
    public bool ParallelResidual { get; init; }

    /// <summary>Dropout on the attention probabilities in training (<c>attn_pdrop</c>, <c>attention_dropout</c>).</summary>
    public double AttentionDropout { get; init; }

    /// <summary>Dropout on each sublayer's output before its residual addition (<c>resid_pdrop</c>,
    /// <c>hidden_dropout</c>).</summary>
    public double ResidualDropout { get; init; }

    /// <summary>Dropout on the embedding output (GPT-2's <c>embd_pdrop</c>).</summary>
    public double EmbeddingDropout { get; init; }

    /// <summary>Whether any layer attends within a sliding window.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool HasSlidingLayers => SlidingWindow > 0 && LayerTypes is { } t && t.Contains('S');

    /// <summary>Whether layer <paramref name="layer"/> attends within the sliding window.</summary>
    public bool IsSlidingLayer(int layer) => SlidingWindow > 0 && LayerTypes is { } t && t[layer] == 'S';

    /// <summary>The rotary width per head: <see cref="RotaryDim"/>, or head_dim when 0.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int RotaryWidth => RotaryDim > 0 ? RotaryDim : HeadDim;

    /// <summary>
    /// Throws unless every family-specific switch not in <paramref name="modelled"/> has its "absent" default: the one
    /// check by which each family refuses a configuration it would otherwise plan as something else. Names are the
    /// property names (<c>nameof</c>).
    /// </summary>
    public void RequireUnset(params string[] modelled)
    {
        void Check(string name, bool set)
        {
            if (set && Array.IndexOf(modelled, name) < 0)
                throw new PlannerInputException($"model '{Name}': {Family.ModelType} does not model {name} (set on this configuration)");
        }
        Check(nameof(SlidingWindow), SlidingWindow != 0);
        Check(nameof(LayerTypes), LayerTypes is not null);
        Check(nameof(AttnLogitSoftcapping), AttnLogitSoftcapping != 0);
        Check(nameof(FinalLogitSoftcapping), FinalLogitSoftcapping != 0);
        Check(nameof(QueryPreAttnScalar), QueryPreAttnScalar != 0);
        Check(nameof(RotaryDim), RotaryDim != 0);
        Check(nameof(HiddenAct), HiddenAct != HiddenActivation.Silu);
        Check(nameof(ParallelResidual), ParallelResidual);
        Check(nameof(AttentionDropout), AttentionDropout != 0);
        Check(nameof(ResidualDropout), ResidualDropout != 0);
        Check(nameof(EmbeddingDropout), EmbeddingDropout != 0);
    }
    /// <summary>The sparse mixture-of-experts part (experts, top-k, expert widths, which layers are sparse, the transformers
    /// layout); null for a dense model.</summary>
    public MoeConfig? Moe { get; init; }

    /// <summary>Width of the query projection's output: heads × head_dim.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int QueryDim => NumHeads * HeadDim;

    /// <summary>Width of each key/value projection's output: kv_heads × head_dim.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int KeyValueDim => NumKeyValueHeads * HeadDim;

    /// <summary>Whether attention is grouped-query (fewer K/V heads than query heads).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsGroupedQuery => NumKeyValueHeads < NumHeads;

    /// <summary>The model's parameters and parts, as its family lays them out.</summary>
    public Layout.ModelLayout Layout() => Family.Layout(this);

    /// <summary>Checks the invariants a decoder needs — every size positive and within <see cref="InputBounds"/> — then the
    /// family's own; throws <see cref="PlannerInputException"/>.</summary>
    public ModelConfig Validate()
    {
        // Local checks rather than tuple arrays: generic code over a tuple of (string, double) is not in ReadyToRun's image
        // and would be JIT-compiled at every start-up.
        void Size(string field, int value, int max)
        {
            if (value <= 0 || value > max) InputBounds.Positive(value, max, $"model '{Name}': {field}");
        }
        void Probability(string field, double p)
        {
            if (!(p >= 0 && p < 1)) throw new PlannerInputException($"model '{Name}': {field} must be in [0, 1), got {p}");
        }
        Size("vocab_size", VocabSize, InputBounds.MaxVocab);
        Size("hidden_size", HiddenSize, InputBounds.MaxHidden);
        Size("intermediate_size", IntermediateSize, InputBounds.MaxIntermediate);
        Size("num_hidden_layers", NumLayers, InputBounds.MaxLayers);
        Size("num_attention_heads", NumHeads, InputBounds.MaxHeads);
        Size("num_key_value_heads", NumKeyValueHeads, InputBounds.MaxHeads);
        Size("head_dim", HeadDim, InputBounds.MaxHeadDim);
        Size("max_position_embeddings", MaxPositionEmbeddings, InputBounds.MaxPositions);
        if (LayerTypes is { } types && types.Length != NumLayers)
            throw new PlannerInputException($"model '{Name}': layer_types has {types.Length} entries for {NumLayers} layers");
        if (LayerTypes is { } lt && lt.AsSpan().IndexOfAnyExcept("SF") >= 0)
            throw new PlannerInputException($"model '{Name}': layer types must be 'S' (sliding) or 'F' (full), got '{lt}'");
        if (SlidingWindow < 0) throw new PlannerInputException($"model '{Name}': sliding_window must not be negative, got {SlidingWindow}");
        Probability("attention dropout", AttentionDropout);
        Probability("residual dropout", ResidualDropout);
        Probability("embedding dropout", EmbeddingDropout);
        if (RotaryDim < 0 || RotaryDim > HeadDim || RotaryDim % 2 != 0)
            throw new PlannerInputException($"model '{Name}': rotary width {RotaryDim} must be even and at most head_dim ({HeadDim})");
        if (NumHeads % NumKeyValueHeads != 0)
            throw new PlannerInputException(
                $"model '{Name}': num_attention_heads ({NumHeads}) must be a multiple of num_key_value_heads ({NumKeyValueHeads})");
        Moe?.Validate(Name);
        Family.Validate(this);
        return this;
    }

    /// <summary>Builds a config whose head_dim is hidden / heads, as Llama defaults it.</summary>
    public static ModelConfig Llama(string name, int vocab, int hidden, int intermediate, int layers, int heads,
        int? kvHeads = null, bool tie = false, ModelFamily? family = null, bool qkvBias = false,
        int maxPositions = 4096) =>
        new ModelConfig(name, family ?? ModelFamilies.Llama, vocab, hidden, intermediate, layers, heads, kvHeads ?? heads,
            hidden / heads, tie, qkvBias, OutputBias: false, MlpBias: false, maxPositions).Validate();
}
