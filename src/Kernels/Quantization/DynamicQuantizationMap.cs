using GaLore.Kernels.Native;
using GaLore.Planner.Runtime;
using static TorchSharp.torch;

namespace GaLore.Kernels.Quantization;

/// <summary>
/// The 256-entry "dynamic" 8-bit code used for optimizer states (Dettmers 2016, arXiv 1511.04561;
/// Dettmers et al. 2022, arXiv 2110.02861; bitsandbytes <c>create_dynamic_map</c>).
/// A code is a decimal exponent plus a linear fraction: for exponent level i = 0…6 the magnitudes
/// 10^(i−6)·f, where f runs over the midpoints of 2^i (signed) or 2^(i+1) (unsigned) equal slices of
/// [0.1, 1]. Higher levels get more fraction values, so precision is relative rather than absolute.
/// The signed code mirrors every magnitude; both codes also hold exactly 0 and 1
/// (signed: 2·127 + 2 = 256 entries, unsigned: 254 + 2). Values are sorted ascending.
/// The two maps are process-wide constants, not per-parameter state.
/// </summary>
public sealed class DynamicQuantizationMap
{
    /// <summary>Number of code entries (8 bits).</summary>
    public const int Entries = 256;

    /// <summary>Exponent levels (decades) of the code.</summary>
    const int Levels = 7;

    static readonly Lazy<DynamicQuantizationMap> signedMap = new(() => new DynamicQuantizationMap(true));
    static readonly Lazy<DynamicQuantizationMap> unsignedMap = new(() => new DynamicQuantizationMap(false));

    /// <summary>The signed code, for Adam's first moment.</summary>
    public static DynamicQuantizationMap Signed => signedMap.Value;

    /// <summary>The unsigned code, for Adam's second moment (never negative).</summary>
    public static DynamicQuantizationMap Unsigned => unsignedMap.Value;

    /// <summary>Whether the code covers [−1, 1] (else [0, 1]).</summary>
    public bool IsSigned { get; }

    /// <summary>The code values, ascending, as .NET floats.</summary>
    public IReadOnlyList<float> Values { get; }

    /// <summary>The code values as a float32 tensor of 256 entries (CPU).</summary>
    public Tensor Table { get; }

    /// <summary>
    /// The 255 midpoints between neighbouring code values. <c>bucketize(x, Midpoints)</c> counts the midpoints
    /// below x, which is exactly the index of the nearest code value — the same answer as a binary search
    /// followed by comparing the two neighbours, in one pass.
    /// </summary>
    public Tensor Midpoints { get; }

    readonly NearestCodeEncoder encoder;

    DynamicQuantizationMap(bool signed)
    {
        TorchNativeLoader.EnsureLoaded();
        IsSigned = signed;
        var values = Build(signed);
        Values = values;
        var mids = new float[Entries - 1];
        for (int k = 0; k < mids.Length; k++) mids[k] = (float)(((double)values[k] + values[k + 1]) / 2);
        Table = tensor(values).DetachFromDisposeScope();
        Midpoints = tensor(mids).DetachFromDisposeScope();
        encoder = new NearestCodeEncoder(mids, Midpoints);
    }

    /// <summary>
    /// Index (int32) of the nearest code value for each element of <paramref name="normalized"/> (values in
    /// [−1, 1], overwritten). Gives exactly <c>bucketize(x, Midpoints)</c>, about five times faster on CPU
    /// (see <see cref="NearestCodeEncoder"/>).
    /// </summary>
    public Tensor Encode(Tensor normalized) => encoder.Encode(normalized);

    /// <summary>
    /// Writes the nearest-code index of each element of <paramref name="normalized"/> (1-D, overwritten) into
    /// <paramref name="codes"/> (1-D uint8 of the same length), <see cref="KernelBudget.QuantEncodeElements"/> elements
    /// at a time, so the search's intermediates (<see cref="Encode"/>: 12 B per element) scale with that slice, not with
    /// the whole range.
    /// </summary>
    public void EncodeInto(Tensor normalized, Tensor codes)
    {
        long n = normalized.shape[0];
        for (long offset = 0; offset < n; offset += KernelBudget.QuantEncodeElements)
        {
            using var scope = NewDisposeScope();
            long length = Math.Min(KernelBudget.QuantEncodeElements, n - offset);
            using var index = encoder.Encode(normalized.narrow(0, offset, length));
            codes.narrow(0, offset, length).copy_(index);
        }
    }

    /// <summary>Whether <see cref="Encode"/> uses its lookup table (false: plain <c>bucketize</c>).</summary>
    internal bool UsesTableEncoder => encoder.UsesTable;

    /// <summary>Builds the sorted code values.</summary>
    public static float[] Build(bool signed)
    {
        var list = new List<double>(Entries) { 0.0, 1.0 };
        for (int level = 0; level < Levels; level++)
        {
            int slices = signed ? 1 << level : 1 << (level + 1);
            double decade = Math.Pow(10, level - (Levels - 1));
            for (int k = 0; k < slices; k++)
            {
                double fraction = 0.1 + 0.9 * (k + 0.5) / slices; // midpoint of slice k of [0.1, 1]
                list.Add(decade * fraction);
                if (signed) list.Add(-decade * fraction);
            }
        }
        if (list.Count != Entries) throw new InvalidOperationException($"dynamic map has {list.Count} entries, expected {Entries}");
        list.Sort();
        return list.Select(v => (float)v).ToArray();
    }

    /// <summary>
    /// Largest distance from any x in the code's range ([−1, 1] or [0, 1]) to its nearest code value: half the
    /// widest gap between neighbours, or the distance from −1 to the lowest value. Quantizing a value normalised
    /// by its block's absmax errs by at most this much, times the absmax.
    /// </summary>
    public double MaxRoundingError()
    {
        double worst = IsSigned ? Values[0] - (-1.0) : Values[0];
        for (int k = 1; k < Values.Count; k++) worst = Math.Max(worst, (Values[k] - (double)Values[k - 1]) / 2);
        return worst;
    }
}
