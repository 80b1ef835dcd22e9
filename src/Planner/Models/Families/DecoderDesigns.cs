using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models.Layout;

namespace GaLore.Planner.Models.Families;

/// <summary>Where a decoder block normalises.</summary>
public enum NormPlacement
{
    /// <summary>Pre-norm (Llama, Qwen3, Phi-3, GPT-2, GPT-NeoX): x + f(norm(x)).</summary>
    Pre,
    /// <summary>Gemma's "sandwich": x + norm_post(f(norm_pre(x))), four norms per block.</summary>
    Sandwich,
    /// <summary>OLMo-2: x + norm(f(x)), norms on the sublayer outputs only.</summary>
    Post,
}

/// <summary>How the q/k/v projections are laid out.</summary>
public enum QkvLayout
{
    /// <summary>Three <c>nn.Linear</c>s (Llama, Qwen3, Gemma, OLMo-2).</summary>
    Separate,
    /// <summary>One projection with q | k | v row blocks, sliced (Phi-3's <c>qkv_proj</c>: <c>qkv[..., :q]</c>, a slice per
    /// part, whose backward each writes a full-size gradient).</summary>
    FusedSliced,
    /// <summary>One projection with q | k | v blocks split in one op (GPT-2's <c>c_attn(x).split(h, dim=2)</c>, whose
    /// backward concatenates once).</summary>
    FusedSplit,
    /// <summary>GPT-NeoX's <c>query_key_value</c>: viewed (B, T, heads, 3·d), transposed and chunked per head.</summary>
    FusedPerHead,
}

/// <summary>Normalisation of the queries and keys before the rotary embedding.</summary>
public enum QkNormKind
{
    /// <summary>None (Llama, Gemma-2, Phi-3, GPT-2, GPT-NeoX, Mixtral, Qwen2-MoE).</summary>
    None,
    /// <summary>An RMSNorm of size head_dim over each head (Qwen3, Qwen3-MoE, Gemma-3 <c>q_norm</c>/<c>k_norm</c>).</summary>
    PerHead,
    /// <summary>An RMSNorm over the whole projection, heads × head_dim (OLMo-2; OLMoE, whose k_norm is kv_heads × head_dim).</summary>
    Projection,
}

/// <summary>The MLP's shape.</summary>
public enum MlpKind
{
    /// <summary>down(act(gate(x)) · up(x)) with separate gate and up projections (SwiGLU, GeGLU).</summary>
    Gated,
    /// <summary>Phi-3: one <c>gate_up_proj</c> chunked in two, then down(up · act(gate)).</summary>
    GatedFused,
    /// <summary>proj(act(fc(x))) (GPT-2, GPT-NeoX).</summary>
    Plain,
}

/// <summary>Which eager attention the family's modeling file runs.</summary>
public enum EagerAttention
{
    /// <summary><c>eager_attention_forward</c> of the Llama line: (q·kᵀ)·scale (+ soft-cap) + mask, softmax in float32,
    /// cast back, dropout, ·v.</summary>
    Generic,
    /// <summary>GPT-2's own: (q·kᵀ) / √d, <c>torch.where</c> with the layer's causal buffer, + the causal mask, softmax in the
    /// scores' dtype, dropout, ·v.</summary>
    Gpt2,
}

/// <summary>
/// Embedding of the dense decoders (Qwen3, Gemma-2/3, Phi-3, OLMo-2, GPT-2, GPT-NeoX): the token lookup, GPT-2's learned
/// positions, Gemma's √h scaling, GPT-2's embedding dropout, and the tables every block reads — rotary cos/sin and the
/// attention masks the model builds once per forward.
/// </summary>
/// <param name="Hidden">h.</param>
/// <param name="RotaryWidth">Width of each rotary table (0: no rotary embedding).</param>
/// <param name="RotaryTables">How many cos/sin pairs (Gemma-3: one for global and one for local layers).</param>
/// <param name="Float32Rotary">The tables stay float32 (OLMo-2's rotary embedding does not cast them).</param>
/// <param name="LearnedPositions">GPT-2's <c>wpe</c>.</param>
/// <param name="ScaleEmbeddings">Gemma: the embedding times √h.</param>
/// <param name="Dropout">GPT-2's <c>embd_pdrop</c>.</param>
/// <param name="FullLayers">Whether any block attends fully (it reads the causal mask under eager attention).</param>
/// <param name="SlidingLayers">Whether any block attends within a window (it reads the window mask).</param>
public sealed record DecoderEmbeddingDesign(long Hidden, long RotaryWidth, int RotaryTables, bool Float32Rotary,
    bool LearnedPositions, bool ScaleEmbeddings, double Dropout, bool FullLayers, bool SlidingLayers) : PartDesign(PartKind.Embedding);

/// <summary>One block of a dense decoder: every switch that decides what it allocates and saves.</summary>
/// <param name="Hidden">h.</param>
/// <param name="Intermediate">MLP width i.</param>
/// <param name="Heads">Query heads.</param>
/// <param name="KeyValueHeads">Key/value heads.</param>
/// <param name="HeadDim">d.</param>
/// <param name="Norm">The norms' kind.</param>
/// <param name="Placement">Where the block normalises.</param>
/// <param name="ParallelResidual">GPT-NeoX: x + attn(ln₁(x)) + mlp(ln₂(x)).</param>
/// <param name="Qkv">Projection layout.</param>
/// <param name="QkvBias">Biases on the q/k/v projections.</param>
/// <param name="OutputBias">Bias on the output projection.</param>
/// <param name="QkNorm">q/k normalisation.</param>
/// <param name="RotaryWidth">Rotary width per head (0: none; below d: partial, GPT-NeoX).</param>
/// <param name="Float32Rotary">OLMo-2: float32 tables, so the rotation computes in float32 and casts back.</param>
/// <param name="Eager">Which eager attention (used under <see cref="AttentionKind.Math"/>).</param>
/// <param name="AttnSoftcap">Gemma-2's score soft-cap (eager only; 0: none).</param>
/// <param name="AttentionDropout">Dropout on the attention probabilities.</param>
/// <param name="Sliding">This layer attends within a sliding window.</param>
/// <param name="Mlp">MLP shape.</param>
/// <param name="Activation">MLP activation.</param>
/// <param name="MlpBias">Biases on the MLP projections.</param>
/// <param name="ResidualDropout">Dropout on each sublayer's output.</param>
public sealed record DecoderBlockDesign(long Hidden, long Intermediate, long Heads, long KeyValueHeads, long HeadDim,
    NormKind Norm, NormPlacement Placement, bool ParallelResidual,
    QkvLayout Qkv, bool QkvBias, bool OutputBias, QkNormKind QkNorm, long RotaryWidth, bool Float32Rotary,
    EagerAttention Eager, double AttnSoftcap, double AttentionDropout, bool Sliding,
    MlpKind Mlp, HiddenActivation Activation, bool MlpBias, double ResidualDropout) : PartDesign(PartKind.Block)
{
    /// <summary>heads × d.</summary>
    public long QueryDim => Heads * HeadDim;

    /// <summary>kv_heads × d.</summary>
    public long KeyValueDim => KeyValueHeads * HeadDim;
}

/// <summary>Final norm, output projection (the embedding when tied), Gemma's final soft-cap, and the loss.</summary>
/// <param name="Hidden">h.</param>
/// <param name="Vocab">V.</param>
/// <param name="Norm">The final norm's kind.</param>
/// <param name="Tied">lm_head is the embedding matrix.</param>
/// <param name="FinalSoftcap">Gemma's <c>final_logit_softcapping</c> (0: none).</param>
public sealed record DecoderHeadDesign(long Hidden, long Vocab, NormKind Norm, bool Tied, double FinalSoftcap) : PartDesign(PartKind.Head);

/// <summary>
/// The parameter roles the dense decoders' graphs and TorchSharp parts read (each family's layout binds its Hugging Face
/// tensors to these): one vocabulary for six families, so one graph builder and one twin serve them all. A LayerNorm's
/// bias is its weight's role + <see cref="Bias"/>, as is a projection's.
/// </summary>
public static class DecoderRoles
{
    public const string Embed = "embed_tokens";
    public const string Positions = "position_embeddings";
    /// <summary>The norm before attention (input_layernorm, ln_1).</summary>
    public const string AttnNorm = "attn_norm";
    /// <summary>The norm after attention (Gemma, OLMo-2).</summary>
    public const string AttnPostNorm = "attn_post_norm";
    /// <summary>The norm before the MLP (post_attention_layernorm in Llama's naming, ln_2, pre_feedforward_layernorm).</summary>
    public const string MlpNorm = "mlp_norm";
    /// <summary>The norm after the MLP (Gemma, OLMo-2).</summary>
    public const string MlpPostNorm = "mlp_post_norm";
    public const string Q = "q_proj";
    public const string K = "k_proj";
    public const string V = "v_proj";
    public const string Qkv = "qkv_proj";
    public const string O = "o_proj";
    public const string QNorm = "q_norm";
    public const string KNorm = "k_norm";
    public const string Gate = "gate_proj";
    /// <summary>The MLP's up projection (GPT-2's c_fc, NeoX's dense_h_to_4h in plain MLPs).</summary>
    public const string Up = "up_proj";
    public const string GateUp = "gate_up_proj";
    /// <summary>The MLP's down projection (c_proj, dense_4h_to_h in plain MLPs).</summary>
    public const string Down = "down_proj";
    public const string FinalNorm = "norm";
    public const string LmHead = "lm_head";
    /// <summary>Suffix of a bias role.</summary>
    public const string Bias = ".bias";
}
