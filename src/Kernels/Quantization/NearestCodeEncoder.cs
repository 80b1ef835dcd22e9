using static TorchSharp.torch;

namespace GaLore.Kernels.Quantization;

/// <summary>
/// Finds the nearest entry of a sorted 256-value code for many floats at once, without a per-element binary search.
/// The index of the nearest value is the number of midpoints below x. Split x = m·2^e (<c>frexp</c>, ½ ≤ |m| &lt; 1)
/// and cut each binade into <see cref="Slices"/> equal slices: a (sign, e, slice) bucket is narrower (≤ 0.4 % of
/// |x|) than the code's closest midpoints (0.7 % apart), so it holds at most one midpoint. A table gives, per
/// bucket, the midpoint count at the bucket's low end; one comparison with the next midpoint finishes the job.
/// The constructor checks the one-midpoint property for every bucket and falls back to <c>bucketize</c> if it ever
/// fails. Exponents are clamped to [−40, 1]: below 2^−40 every value is nearer to 0 than to any code value.
/// <para>The bucket key is <c>(e + 40)·4S + trunc(2S·m) + 2S</c> (S = <see cref="Slices"/>): 2S·m is exact in float32
/// (a power-of-two scale), and its truncation is the slice with the sign folded in — keys 1…S for m ∈ (−1, −½],
/// 3S…4S−1 for m ∈ [½, 1), and 2S for x = ±0 (frexp gives m = 0) — so no sign mask, no <c>abs</c> and no 1e-30 shift
/// are needed, and at most 12 B per element are alive (<see cref="Encode"/>; the 8-bit optimizer's memory budget,
/// <c>KernelBudget.QuantChunkTransientBytes</c>, counts on it).</para>
/// </summary>
internal sealed class NearestCodeEncoder
{
    const int MinExponent = -40, MaxExponent = 1, Exponents = MaxExponent - MinExponent + 1;

    /// <summary>Slices per binade (2^8: relative width ≤ 2^−8).</summary>
    const int Slices = 256;

    /// <summary>Keys per exponent: trunc(2S·m) + 2S lies in [0, 4S).</summary>
    const int KeysPerExponent = 4 * Slices;

    readonly Tensor midpoints;
    readonly Tensor? table;          // int32 [Exponents · 4S]: midpoints below each bucket
    readonly Tensor? nextMidpoint;   // float32 [256]: the midpoints, then +∞

    public NearestCodeEncoder(float[] mids, Tensor midpointTensor)
    {
        midpoints = midpointTensor;
        var counts = new int[Exponents * KeysPerExponent];
        for (int e = 0; e < Exponents; e++)
        {
            double scale = Math.Pow(2, e + MinExponent);
            for (int k = 0; k < KeysPerExponent; k++)
            {
                int t = k - 2 * Slices;                                  // trunc(2S·m)
                int first, last;
                if (t == 0) first = last = Below(mids, 0, false);        // x = ±0
                else if (t > 0) // m·2S ∈ [t, t + 1): x ∈ [lo, hi)
                {
                    if (t < Slices) continue;                            // |m| < ½: no finite non-zero x gets this key
                    double lo = t / (2.0 * Slices) * scale, hi = (t + 1) / (2.0 * Slices) * scale;
                    first = Below(mids, lo, false);
                    last = Below(mids, hi, false);
                }
                else // m·2S ∈ (t − 1, t]: x ∈ (lo, hi]
                {
                    if (t > -Slices) continue;
                    double lo = (t - 1) / (2.0 * Slices) * scale, hi = t / (2.0 * Slices) * scale;
                    first = Below(mids, lo, true);
                    last = Below(mids, hi, false);
                }
                if (last - first > 1) return;  // two midpoints in one bucket: keep bucketize
                counts[e * KeysPerExponent + k] = first;
            }
        }
        table = tensor(counts).DetachFromDisposeScope();
        nextMidpoint = cat([midpointTensor, tensor(new[] { float.PositiveInfinity })]).DetachFromDisposeScope();
    }

    /// <summary>Whether the table path is in use (false means plain <c>bucketize</c>).</summary>
    public bool UsesTable => table is not null;

    /// <summary>int32 nearest-code indices of <paramref name="x"/> (which may be overwritten). At most 12 B per element are
    /// alive at once, the result included: the float32 mantissa, the int32 exponent and the int32 slice; later the key and
    /// the index (8 B); then the index, the float32 next midpoint and a bool (9 B); then the index, the bool and the
    /// bool's int32 copy that CPU type promotion makes for <c>add_</c> (9 B).</summary>
    public Tensor Encode(Tensor x)
    {
        if (table is null || nextMidpoint is null) return bucketize(x, midpoints, outInt32: true);
        using var scope = NewDisposeScope();
        var (mantissa, exponent) = frexp(x);                                 // float32 + int32
        Tensor key = exponent;
        using (var slice = mantissa.mul_(2 * Slices).to(ScalarType.Int32))   // trunc(2S·m), sign included
        {
            mantissa.Dispose();
            key.clamp_(MinExponent, MaxExponent).sub_(MinExponent).mul_(KeysPerExponent).add_(slice).add_(2 * Slices);
        }
        var index = table.index_select(0, key);
        key.Dispose();
        Tensor above;
        using (var next = nextMidpoint.index_select(0, index)) above = x.gt(next);
        using (above) index.add_(above);
        return index.MoveToOuterDisposeScope();
    }

    /// <summary>Number of midpoints below v (or at most v); <paramref name="mids"/> is sorted.</summary>
    static int Below(float[] mids, double v, bool orEqual)
    {
        int lo = 0, hi = mids.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (mids[mid] < v || (orEqual && mids[mid] == v)) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
