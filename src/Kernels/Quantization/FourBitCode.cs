using GaLore.Kernels.Native;
using GaLore.Planner.Adapters;
using static TorchSharp.torch;

namespace GaLore.Kernels.Quantization;

/// <summary>
/// The 16-entry code tables of bitsandbytes' 4-bit types (<c>functional.get_4bit_type</c>), indexed by the 4-bit code:
/// <list type="bullet">
/// <item>NF4 (QLoRA, Dettmers et al. 2023, arXiv 2305.14314, §3): quantiles of N(0, 1) with equal probability mass,
/// normalised to [−1, 1], with an exact 0 (<c>create_normal_map(offset=0.9677083, use_extra_value=True)</c>); code k is
/// the k-th value in ascending order.</item>
/// <item>FP4 (1 sign, 2 exponent, 1 mantissa bit; exponent bias 2): code k's value by its bit pattern
/// [0, 0.0625, 8, 12, 4, 6, 2, 3] (sign bit clear), then the same negated, all divided by 12 (the largest magnitude).</item>
/// </list>
/// A value x / absmax is stored as the code of the nearest table value (bitsandbytes' default backend:
/// <c>bucketize</c> on the midpoints of the sorted table, mapped back through the sort order).
/// </summary>
public sealed class FourBitCode
{
    /// <summary>bitsandbytes' NF4 table (functional.py, hard-coded there to avoid a scipy dependency).</summary>
    public static readonly float[] Nf4Values =
    [
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f, -0.28444138169288635f, -0.18477343022823334f,
        -0.09105003625154495f, 0.0f, 0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
    ];

    /// <summary>bitsandbytes' FP4 table before normalisation, in bit-pattern order (functional.py).</summary>
    public static readonly float[] Fp4Raw = [0, 0.0625f, 8, 12, 4, 6, 2, 3, -0f, -0.0625f, -8, -12, -4, -6, -2, -3];

    static readonly Lazy<FourBitCode> nf4 = new(() => new FourBitCode(BaseQuant.Nf4, Nf4Values));
    static readonly Lazy<FourBitCode> fp4 = new(() => new FourBitCode(BaseQuant.Fp4, Fp4Raw.Select(v => v / 12f).ToArray()));

    /// <summary>The table of a 4-bit type.</summary>
    public static FourBitCode Of(BaseQuant type) => type switch
    {
        BaseQuant.Nf4 => nf4.Value,
        BaseQuant.Fp4 => fp4.Value,
        _ => throw new ArgumentException($"{type} is not a 4-bit type", nameof(type)),
    };

    /// <summary>Which type.</summary>
    public BaseQuant Type { get; }

    /// <summary>Value of each code (index = code).</summary>
    public IReadOnlyList<float> Values { get; }

    /// <summary>The values as a float32 tensor of 16 entries (CPU; a weight keeps its own copy, as a QuantState does).</summary>
    public Tensor Table { get; }

    /// <summary>Midpoints between the sorted values (15): <c>bucketize</c> against them gives the sorted position.</summary>
    public Tensor Midpoints { get; }

    /// <summary>Code of each sorted position (int64; the identity for NF4).</summary>
    public Tensor Order { get; }

    FourBitCode(BaseQuant type, float[] values)
    {
        TorchNativeLoader.EnsureLoaded();
        Type = type;
        Values = values;
        var order = Enumerable.Range(0, values.Length).OrderBy(k => values[k]).ThenBy(k => k).ToArray();
        var mids = new float[values.Length - 1];
        for (int k = 0; k < mids.Length; k++) mids[k] = (values[order[k]] + values[order[k + 1]]) / 2;
        Table = tensor(values).DetachFromDisposeScope();
        Midpoints = tensor(mids).DetachFromDisposeScope();
        Order = tensor(order.Select(k => (long)k).ToArray()).DetachFromDisposeScope();
    }
}
