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
        (string Field, int Value, int Max)[] sizes =
        [
            ("vocab_size", VocabSize, InputBounds.MaxVocab), ("hidden_size", HiddenSize, InputBounds.MaxHidden),
            ("intermediate_size", IntermediateSize, InputBounds.MaxIntermediate), ("num_hidden_layers", NumLayers, InputBounds.MaxLayers),
            ("num_attention_heads", NumHeads, InputBounds.MaxHeads), ("num_key_value_heads", NumKeyValueHeads, InputBounds.MaxHeads),
            ("head_dim", HeadDim, InputBounds.MaxHeadDim), ("max_position_embeddings", MaxPositionEmbeddings, InputBounds.MaxPositions),
        ];
        foreach (var (field, value, max) in sizes)
            if (value <= 0 || value > max) InputBounds.Positive(value, max, $"model '{Name}': {field}");
        if (NumHeads % NumKeyValueHeads != 0)
            throw new PlannerInputException(
                $"model '{Name}': num_attention_heads ({NumHeads}) must be a multiple of num_key_value_heads ({NumKeyValueHeads})");
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
