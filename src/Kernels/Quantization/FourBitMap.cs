using GaLore.Kernels.Native;
using static TorchSharp.torch;

namespace GaLore.Kernels.Quantization;

/// <summary>
/// torchao's 4-bit optimizer-state codes (<c>torchao/optim/subclass_4bit.py</c>, after Li et al. 2023, arXiv 2309.01507):
/// the signed first-moment code is bitsandbytes' dynamic map with 3 exponent bits in 4 bits
/// (<c>create_dynamic_map(True, 3, 4)</c>: 0, 1 and ±10^(i−2)·f for the midpoints f of 2^i equal slices of [0.1, 1],
/// i = 0, 1, 2 — 16 values); the unsigned second-moment code is linear without zero, k/16 for k = 1…16. A value
/// normalised by its block's absmax is stored as its nearest code, ties rounding up (torchao's <c>quantize_4bit_with_qmap</c>).
/// </summary>
public sealed class FourBitMap
{
    /// <summary>Entries of a 4-bit code.</summary>
    public const int Entries = 16;

    static readonly Lazy<FourBitMap> signedMap = new(() => new FourBitMap(true));
    static readonly Lazy<FourBitMap> unsignedMap = new(() => new FourBitMap(false));

    /// <summary>The first moment's code.</summary>
    public static FourBitMap Signed => signedMap.Value;

    /// <summary>The second moment's code.</summary>
    public static FourBitMap Unsigned => unsignedMap.Value;

    FourBitMap(bool signed)
    {
        TorchNativeLoader.EnsureLoaded();
        IsSigned = signed;
        Values = Build(signed);
        var mids = new float[Entries - 1];
        for (int k = 0; k < mids.Length; k++) mids[k] = (float)(((double)Values[k] + Values[k + 1]) / 2);
        Midpoints = tensor(mids).DetachFromDisposeScope();
    }

    /// <summary>Whether the code is the signed one.</summary>
    public bool IsSigned { get; }

    /// <summary>The 16 code values, ascending.</summary>
    public IReadOnlyList<float> Values { get; }

    /// <summary>The 15 midpoints between neighbouring values (CPU float32).</summary>
    public Tensor Midpoints { get; }

    /// <summary>The sorted code values.</summary>
    public static float[] Build(bool signed)
    {
        var list = new List<double>(Entries);
        if (signed)
        {
            for (int i = 0; i < 3; i++)
            {
                int slices = 1 << i;
                double decade = Math.Pow(10, i - 2);
                for (int k = 0; k < slices; k++)
                {
                    double f = 0.1 + 0.9 * (k + 0.5) / slices;
                    list.Add(decade * f);
                    list.Add(-decade * f);
                }
            }
            list.Add(0);
            list.Add(1);
        }
        else
            for (int k = 1; k <= Entries; k++) list.Add(k / 16.0);
        if (list.Count != Entries) throw new InvalidOperationException($"4-bit map has {list.Count} entries");
        list.Sort();
        return list.Select(v => (float)v).ToArray();
    }
}
