using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models;
using GaLore.Planner.Models.Layout;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Tests;

/// <summary>Per-token activation bytes of one tiny block, derived by hand from the saved-tensor lists.</summary>
public class ActivationGraphTests
{
    static readonly ModelConfig Tiny = ModelPresets.Find("tiny")!; // h=64, i=176, q=64, kv=32, heads 4

    sealed record PartGraphs(OpGraph Block, OpGraph Head);

    static PartGraphs Graphs(PrecisionMode mode, RuntimeProfile runtime, AttentionKind attention = AttentionKind.Sdpa)
    {
        var context = new GraphContext(new Precision(mode), runtime.Flavor, attention);
        var parts = Tiny.Layout().Parts;
        OpGraph Of(PartKind kind) => Tiny.Family.Graph(parts.First(p => p.Design.Kind == kind).Design, context);
        return new PartGraphs(Of(PartKind.Block), Of(PartKind.Head));
    }

    [Fact]
    public void Fused_norm_block_in_bf16()
    {
        // norm: x (2h) + 1/rms (4); q,k,v input (2h); q rotated, k and v repeated to 4 heads (3·2q);
        // attention output (2q) + logsumexp (4·heads); post-norm: h1 (2h) + 4; mlp input (2h);
        // gate, silu(gate), up, silu·up (4·2i).
        long expected = (2 * 64 + 4) + 2 * 64 + 3 * 2 * 64 + 2 * 64 + 4 * 4 + (2 * 64 + 4) + 2 * 64 + 4 * 2 * 176;
        Assert.Equal(2456, expected);
        Assert.Equal(Extent.Tokens(expected), Graphs(PrecisionMode.Bf16, RuntimeProfile.TorchSharpKernels).Block.SavedSize());
    }

    [Fact]
    public void Hf_norm_block_in_bf16_keeps_a_float32_copy_and_the_normalized_tensor()
    {
        // Each HF RMSNorm keeps x.float() (4h), 1/rms (4) and the normalized input-dtype tensor (2h); its output (2h)
        // is what the next linears save. Everything else as in the fused case.
        long norm = 4 * 64 + 4 + 2 * 64;
        long expected = norm + 2 * 64 + 3 * 2 * 64 + 2 * 64 + 4 * 4 + norm + 2 * 64 + 4 * 2 * 176;
        Assert.Equal(Extent.Tokens(expected), Graphs(PrecisionMode.Bf16, RuntimeProfile.PyTorchReference).Block.SavedSize());
    }

    [Fact]
    public void Mixed_precision_saves_bf16_weight_copies_and_keeps_a_float32_residual()
    {
        var g = Graphs(PrecisionMode.Mixed, RuntimeProfile.TorchSharpKernels).Block;
        long weights = 2 * (64 * 64 + 2 * 32 * 64 + 64 * 64 + 3 * 176 * 64); // every projection's bf16 copy
        long perToken = (4 * 64 + 4) + 2 * 64 + 3 * 2 * 64 + 2 * 64 + 4 * 4 + (4 * 64 + 4) + 2 * 64 + 4 * 2 * 176;
        Assert.Equal(new Extent(weights, perToken, 0), g.SavedSize());
    }

    [Fact]
    public void Math_attention_adds_float32_and_bf16_probabilities_per_position()
    {
        var sdpa = Graphs(PrecisionMode.Bf16, RuntimeProfile.TorchSharpKernels).Block.SavedSize();
        var math = Graphs(PrecisionMode.Bf16, RuntimeProfile.TorchSharpKernels, AttentionKind.Math).Block.SavedSize();
        // math keeps q, k (2·2q), softmax in float32 and bf16 (4+2 bytes per head per position), v (2q);
        // sdpa kept q, k, v, out (4·2q) and the logsumexp (4·heads). Both keep the attention output for o_proj.
        Assert.Equal(Extent.TokensBySeq(6 * 4), new Extent(0, 0, math.PerTokenSeq));
        Assert.Equal(sdpa.PerToken - 4 * 4, math.PerToken);
    }

    [Fact]
    public void Head_keeps_float32_log_probabilities_for_backward()
    {
        var head = Graphs(PrecisionMode.Bf16, RuntimeProfile.TorchSharpKernels).Head;
        // final norm: x (2h) + 4; lm_head input (2h); log_softmax output (4V).
        Assert.Equal(Extent.Tokens(2 * 64 + 4 + 2 * 64 + 4 * 512), head.SavedSize());
    }
}
