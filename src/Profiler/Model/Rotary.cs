using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model;

/// <summary>
/// Rotary position embedding (Su et al. 2021, arXiv 2104.09864, Eq. 34) in Hugging Face's form:
/// x·cos + rotate_half(x)·sin, with rotate_half(x) = cat(−x₂, x₁) over the two halves of head_dim.
/// </summary>
internal static class Rotary
{
    /// <summary>
    /// cos and sin of the angles, each (B, T, head_dim) in <paramref name="dtype"/> — computed in float32 and
    /// materialised per batch row, as HF's <c>LlamaRotaryEmbedding</c> does for position_ids of shape (B, T).
    /// </summary>
    public static (Tensor Cos, Tensor Sin) Tables(long batch, long seq, long headDim, double theta, ScalarType dtype, Device device)
    {
        using var scope = torch.NewDisposeScope();
        var exponent = torch.arange(0, headDim, 2, ScalarType.Float32, device).div_(headDim);   // (d/2)
        var invFreq = torch.pow(theta, exponent).reciprocal_();                                   // (d/2)
        var positions = torch.arange(seq, ScalarType.Float32, device);                           // (T)
        var freqs = torch.outer(positions, invFreq);                                               // (T, d/2)
        var angles = torch.cat([freqs, freqs], -1).unsqueeze(0).expand(batch, seq, headDim);      // (B, T, d)
        var cos = angles.cos().to(dtype).contiguous();                                             // (B, T, d)
        var sin = angles.sin().to(dtype).contiguous();                                             // (B, T, d)
        return (cos.MoveToOuterDisposeScope(), sin.MoveToOuterDisposeScope());
    }

    /// <summary>Rotates x (B, H, T, d) with tables (B, T, d); returns a new (B, H, T, d) tensor. Autograd saves only cos and sin.</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = torch.NewDisposeScope();
        long half = x.shape[^1] / 2;
        var c = cos.unsqueeze(1);                                                                   // (B, 1, T, d)
        var s = sin.unsqueeze(1);
        var xc = x.mul(c);                                                                          // x·cos
        var rotated = torch.cat([x.narrow(-1, half, half).neg(), x.narrow(-1, 0, half)], -1);      // cat(−x₂, x₁)
        var xs = rotated.mul(s);
        rotated.Dispose();
        var y = xc.add_(xs);
        return y.MoveToOuterDisposeScope();
    }
}
