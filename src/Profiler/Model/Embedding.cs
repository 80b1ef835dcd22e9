using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model;

/// <summary>Token embedding (<c>embed_tokens</c>, V × h). Its backward scatters into a V × h gradient.</summary>
public sealed class Embedding : nn.Module
{
    [ComponentName(Name = "weight")] readonly Parameter weight;

    internal Embedding(long vocab, long hidden, ScalarType dtype, Device device, Generator init, double std) : base(nameof(Embedding))
    {
        weight = new Parameter(Init.Normal([vocab, hidden], std, dtype, device, init));
        RegisterComponents();
    }

    /// <summary>The table (V × h).</summary>
    public Parameter Weight => weight;

    /// <summary>ids (B, T) int64 → (B, T, h) in the weight's dtype, looked up in <paramref name="table"/>
    /// (the weight, or its tapped alias).</summary>
    internal static Tensor Lookup(Tensor ids, Tensor table)
    {
        using var scope = torch.NewDisposeScope();
        long b = ids.shape[0], t = ids.shape[1];
        return table.index_select(0, ids.reshape(-1)).view(b, t, table.shape[1]).MoveToOuterDisposeScope();
    }
}
