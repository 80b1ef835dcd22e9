namespace GaLore.Planner.Models;

/// <summary>What a parameter is for; decides which optimizer path and which activations go with it.</summary>
public enum TensorKind
{
    /// <summary><c>model.embed_tokens.weight</c>, V × h. Not a Linear: GaLore never selects it.</summary>
    Embedding,
    /// <summary>q/k/v/o projection weight of self-attention (an <c>nn.Linear</c>).</summary>
    AttentionProjection,
    /// <summary>gate/up/down projection weight of the SwiGLU MLP (an <c>nn.Linear</c>).</summary>
    MlpProjection,
    /// <summary>Output projection to the vocabulary (an <c>nn.Linear</c>, absent when tied).</summary>
    LmHead,
    /// <summary>RMSNorm scale vector.</summary>
    Norm,
    /// <summary>Bias vector of a projection (Qwen2's q/k/v) or of a LayerNorm.</summary>
    Bias,
    /// <summary>Weight of a <c>transformers.pytorch_utils.Conv1D</c> (GPT-2's projections): a matrix stored
    /// [in_features, out_features], computed as x·W + b. Not an <c>nn.Linear</c>: Hugging Face's GaLore never selects it.</summary>
    Conv1D,
    /// <summary>Learned absolute position embeddings (GPT-2's <c>wpe</c>, n_positions × h): a lookup, not a Linear.</summary>
    PositionEmbedding,
    /// <summary>A mixture-of-experts router held by an <c>nn.Linear</c> (transformers 4.x: <c>mlp.gate</c>,
    /// <c>block_sparse_moe.gate</c>), experts × h.</summary>
    RouterProjection,
    /// <summary>A mixture-of-experts router held as a bare <c>nn.Parameter</c> of a <c>TopKRouter</c> module
    /// (transformers 5.x: <c>mlp.gate.weight</c>), experts × h. Not a Linear: GaLore never selects it.</summary>
    Router,
    /// <summary>One expert's gate/up/down weight as its own <c>nn.Linear</c> (transformers 4.x:
    /// <c>mlp.experts.N.gate_proj</c>, Mixtral's <c>block_sparse_moe.experts.N.w1</c>).</summary>
    ExpertProjection,
    /// <summary>Every expert's weights of one kind stacked into a 3-D <c>nn.Parameter</c> (transformers 5.x:
    /// <c>mlp.experts.gate_up_proj</c> (E, 2i, h), <c>mlp.experts.down_proj</c> (E, h, i)); <see cref="ParameterTensor.Count"/>
    /// = E. Not a Linear: GaLore never selects it.</summary>
    StackedExperts,
    /// <summary>A LoRA matrix added by peft (<c>lora_A</c>, r × in; <c>lora_B</c>, out × r): trainable, never projected.</summary>
    AdapterMatrix,
    /// <summary>DoRA's magnitude vector (<c>lora_magnitude_vector</c>, out): trainable.</summary>
    AdapterVector,
}

/// <summary>
/// One trainable tensor. Matrices use PyTorch's <c>nn.Linear</c> layout [out_features, in_features]
/// = <see cref="Rows"/> × <see cref="Cols"/>; vectors have <see cref="Cols"/> = 1 and
/// <see cref="IsMatrix"/> false. A 3-D tensor (fused experts) is <see cref="Count"/> such matrices stacked:
/// shape [Count, Rows, Cols].
/// </summary>
/// <param name="Name">Hugging Face parameter name, e.g. <c>model.layers.0.self_attn.q_proj.weight</c>.</param>
/// <param name="Module">Owning module's name, the string target-module matching sees.</param>
/// <param name="Kind">Role of the tensor.</param>
/// <param name="Layer">Decoder block index, or -1 outside the blocks.</param>
/// <param name="Rows">First dimension (out_features for a Linear weight).</param>
/// <param name="Cols">Second dimension (in_features), 1 for vectors.</param>
public sealed record ParameterTensor(string Name, string Module, TensorKind Kind, int Layer, long Rows, long Cols)
{
    /// <summary>The <c>nn.Linear</c> module that shares this tensor when embeddings are tied (<c>lm_head</c>), or null.
    /// <c>named_parameters()</c> lists the tensor once under its first name, so a GaLore selection that matches only this
    /// module projects nothing, and Hugging Face does not raise (its check counts matched modules, not parameters).
    /// Set by the families that declare it (GPT-2); null means not recorded.</summary>
    public string? TiedLinearModule { get; init; }

    /// <summary>Leading dimension of a 3-D tensor (the experts of a <see cref="TensorKind.StackedExperts"/> parameter);
    /// 1 for matrices and vectors.</summary>
    public long Count { get; init; } = 1;

    /// <summary>Number of elements.</summary>
    public long Elements => Count * Rows * Cols;

    /// <summary>Whether the tensor has at least two dimensions (factored Adafactor applies to these; GaLore only to the
    /// 2-D weights of Linear modules, <see cref="IsLinearWeight"/>).</summary>
    public bool IsMatrix => Kind is not (TensorKind.Norm or TensorKind.Bias or TensorKind.AdapterVector);

    /// <summary>The tensor's shape as PyTorch prints it: [Rows], [Rows, Cols] or [Count, Rows, Cols].</summary>
    public long[] Shape() => !IsMatrix ? [Rows] : Kind == TensorKind.StackedExperts ? [Count, Rows, Cols] : [Rows, Cols];

    /// <summary>Whether the owning module is an <c>nn.Linear</c> (what HF's GaLore selection accepts).</summary>
    public bool IsLinearWeight => Kind is TensorKind.AttentionProjection or TensorKind.MlpProjection or TensorKind.LmHead
        or TensorKind.RouterProjection or TensorKind.ExpertProjection;
}
