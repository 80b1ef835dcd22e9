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
/// </summary>
internal sealed class NearestCodeEncoder
{
    const int MinExponent = -40, MaxExponent = 1, Exponents = MaxExponent - MinExponent + 1;

    /// <summary>Slices per binade (2^8: relative width ≤ 2^−8).</summary>
    const int Slices = 256;

    readonly Tensor midpoints;
    readonly Tensor? table;          // int32 [2 · Exponents · Slices]: midpoints below each bucket's low end
    readonly Tensor? nextMidpoint;   // float32 [256]: the midpoints, then +∞

    public NearestCodeEncoder(float[] mids, Tensor midpointTensor)
    {
        midpoints = midpointTensor;
        var counts = new int[2 * Exponents * Slices];
        for (int sign = 0; sign < 2; sign++)
            for (int e = 0; e < Exponents; e++)
                for (int f = 0; f < Slices; f++)
                {
                    double scale = Math.Pow(2, e + MinExponent);
                    double lo = (0.5 + f / (2.0 * Slices)) * scale, hi = (0.5 + (f + 1) / (2.0 * Slices)) * scale;
                    // Positive bucket: values in [lo, hi). Negative bucket: values in (−hi, −lo].
                    int first = sign == 0 ? Below(mids, lo, false) : Below(mids, -hi, true);
                    int last = sign == 0 ? Below(mids, hi, false) : Below(mids, -lo, false);
                    if (last - first > 1) return;  // two midpoints in one bucket: keep bucketize
                    counts[(sign * Exponents + e) * Slices + f] = first;
                }
        table = tensor(counts).DetachFromDisposeScope();
        nextMidpoint = cat([midpointTensor, tensor(new[] { float.PositiveInfinity })]).DetachFromDisposeScope();
    }

    /// <summary>Whether the table path is in use (false means plain <c>bucketize</c>).</summary>
    public bool UsesTable => table is not null;

    /// <summary>int32 nearest-code indices of <paramref name="x"/> (overwritten).</summary>
    public Tensor Encode(Tensor x)
    {
        if (table is null || nextMidpoint is null) return bucketize(x, midpoints, outInt32: true);
        using var scope = NewDisposeScope();
        x.add_(1e-30);                                     // 0 → a tiny positive number: same nearest code, finite exponent
        var (mantissa, exponent) = frexp(x);               // float32 + int32
        exponent.clamp_(MinExponent, MaxExponent).sub_(MinExponent);
        using (var negative = mantissa.lt(0))
        using (var slice = mantissa.abs_().mul_(2 * Slices).sub_(Slices).to(ScalarType.Int32))  // ⌊(|m| − ½)·2S⌋
        {
            mantissa.Dispose();
            exponent.mul_(Slices).add_(slice).add_(negative, Exponents * Slices);                   // bucket key
        }
        var index = table.index_select(0, exponent);
        exponent.Dispose();
        using (var next = nextMidpoint.index_select(0, index))
        using (var above = x.gt(next))
            index.add_(above);
        return index.MoveToOuterDisposeScope();
    }

    /// <summary>Number of midpoints below v (or at most v).</summary>
    static int Below(float[] mids, double v, bool orEqual)
    {
        int count = 0;
        foreach (var m in mids)
            if (m < v || (orEqual && m == v)) count++;
        return count;
    }
}
