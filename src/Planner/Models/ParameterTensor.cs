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
    /// <summary>Bias vector of a projection (Qwen2's q/k/v).</summary>
    Bias,
    /// <summary>A LoRA matrix added by peft (<c>lora_A</c>, r × in; <c>lora_B</c>, out × r): trainable, never projected.</summary>
    AdapterMatrix,
    /// <summary>DoRA's magnitude vector (<c>lora_magnitude_vector</c>, out): trainable.</summary>
    AdapterVector,
}

/// <summary>
/// One trainable tensor. Matrices use PyTorch's <c>nn.Linear</c> layout [out_features, in_features]
/// = <see cref="Rows"/> × <see cref="Cols"/>; vectors have <see cref="Cols"/> = 1 and
/// <see cref="IsMatrix"/> false.
/// </summary>
/// <param name="Name">Hugging Face parameter name, e.g. <c>model.layers.0.self_attn.q_proj.weight</c>.</param>
/// <param name="Module">Owning module's name, the string target-module matching sees.</param>
/// <param name="Kind">Role of the tensor.</param>
/// <param name="Layer">Decoder block index, or -1 outside the blocks.</param>
/// <param name="Rows">First dimension (out_features for a Linear weight).</param>
/// <param name="Cols">Second dimension (in_features), 1 for vectors.</param>
public sealed record ParameterTensor(string Name, string Module, TensorKind Kind, int Layer, long Rows, long Cols)
{
    /// <summary>Number of elements.</summary>
    public long Elements => Rows * Cols;

    /// <summary>Whether the tensor is 2-D (GaLore and factored Adafactor apply only to these).</summary>
    public bool IsMatrix => Kind is not (TensorKind.Norm or TensorKind.Bias or TensorKind.AdapterVector);

    /// <summary>Whether the owning module is an <c>nn.Linear</c> (what HF's GaLore selection accepts).</summary>
    public bool IsLinearWeight => Kind is TensorKind.AttentionProjection or TensorKind.MlpProjection or TensorKind.LmHead;
}
