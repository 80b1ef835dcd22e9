namespace GaLore.Planner.Optimizers;

/// <summary>Element types the planner sizes.</summary>
public enum DType
{
    UInt8,
    BFloat16,
    Float32,
}

/// <summary>Size helpers for <see cref="DType"/>.</summary>
public static class DTypes
{
    /// <summary>Bytes per element.</summary>
    public static int Bytes(this DType d) => d switch { DType.UInt8 => 1, DType.BFloat16 => 2, _ => 4 };

    /// <summary>The floating type of a given byte width (2 → bf16, 4 → fp32).</summary>
    public static DType FloatOfBytes(int bytes) => bytes == 2 ? DType.BFloat16 : DType.Float32;

    /// <summary>Lower-case name as PyTorch prints it (uint8, bfloat16, float32).</summary>
    public static string Name(this DType d) => d switch { DType.UInt8 => "uint8", DType.BFloat16 => "bfloat16", _ => "float32" };
}

/// <summary>One tensor an optimizer keeps between steps for one parameter.</summary>
/// <param name="Name">State key as the reference implementation names it (exp_avg, state1, absmax1, projector, …).</param>
/// <param name="Elements">Number of elements.</param>
/// <param name="Type">Element type.</param>
public readonly record struct StateTensor(string Name, long Elements, DType Type)
{
    /// <summary>Bytes held.</summary>
    public long Bytes => Elements * Type.Bytes();
}
