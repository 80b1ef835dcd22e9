using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models.Layout;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model.Parts;

/// <summary>Token embedding (<c>embed_tokens</c>, V × h; its backward scatters into a V × h gradient) and the rotary
/// tables every block reads, cos/sin (B, T, head_dim) as HF's <c>LlamaRotaryEmbedding</c> materialises them.</summary>
internal sealed class RotaryTokenEmbedding(LayoutPart layout, Parameter table, long headDim) : EmbeddingPart
{
    public override LayoutPart Layout => layout;

    internal override ForwardTables Tables(long batch, long seq, ModelDTypes types, ModelOptions options, Device device)
    {
        var (cos, sin) = Rotary.Tables(batch, seq, headDim, options.RopeTheta, types.Activation, device); // (B, T, d) each
        var mask = options.Attention == AttentionKind.Math ? Attention.CausalMask(seq, types.Activation, device) : null;
        return new ForwardTables(cos, sin, mask);
    }

    internal override Tensor Forward(Tensor ids, ForwardContext ctx) => Lookup(ids, ctx.Use(table));

    /// <summary>ids (B, T) int64 → (B, T, h) in the table's dtype, looked up in <paramref name="weights"/> (the table, or its
    /// tapped alias).</summary>
    internal static Tensor Lookup(Tensor ids, Tensor weights)
    {
        using var scope = torch.NewDisposeScope();
        long b = ids.shape[0], t = ids.shape[1];
        return weights.index_select(0, ids.reshape(-1)).view(b, t, weights.shape[1]).MoveToOuterDisposeScope();
    }
}
