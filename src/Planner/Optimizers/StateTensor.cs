namespace GaLore.Planner.Optimizers;

/// <summary>Element types the planner sizes, by their width in bits (a 4-bit state packs two codes per byte).</summary>
public enum DType
{
    /// <summary>4-bit codes (NF4/FP4 bases, torchao's 4-bit states), two per byte.</summary>
    UInt4,
    UInt8,
    Int8,
    Float16,
    BFloat16,
    Float32,
    Int64,
}

/// <summary>Size helpers for <see cref="DType"/>.</summary>
public static class DTypes
{
    /// <summary>Bits per element.</summary>
    public static int Bits(this DType d) => d switch
    {
        DType.UInt4 => 4,
        DType.UInt8 or DType.Int8 => 8,
        DType.Float16 or DType.BFloat16 => 16,
        DType.Float32 => 32,
        DType.Int64 => 64,
        _ => throw new ArgumentOutOfRangeException(nameof(d), d, "unknown dtype"),
    };

    /// <summary>Bytes of <paramref name="elements"/> elements, rounded up to whole bytes (PyTorch stores packed 4-bit codes in
    /// a uint8 tensor of ⌈n/2⌉ elements).</summary>
    public static long BytesOf(this DType d, long elements) => (elements * d.Bits() + 7) / 8;

    /// <summary>The floating type of a given byte width (2 → bf16, 4 → fp32).</summary>
    public static DType FloatOfBytes(int bytes) => bytes switch
    {
        2 => DType.BFloat16,
        4 => DType.Float32,
        _ => throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "no floating type of that width"),
    };

    /// <summary>Lower-case name as PyTorch prints it (uint8, bfloat16, float32, …).</summary>
    public static string Name(this DType d) => d switch
    {
        DType.UInt4 => "uint4",
        DType.UInt8 => "uint8",
        DType.Int8 => "int8",
        DType.Float16 => "float16",
        DType.BFloat16 => "bfloat16",
        DType.Float32 => "float32",
        DType.Int64 => "int64",
        _ => throw new ArgumentOutOfRangeException(nameof(d), d, "unknown dtype"),
    };
}

/// <summary>One tensor an optimizer keeps between steps for one parameter.</summary>
/// <param name="Name">State key as the reference implementation names it (exp_avg, state1, absmax1, projector, …).</param>
/// <param name="Elements">Number of elements.</param>
/// <param name="Type">Element type.</param>
/// <param name="Placement">Where the tensor lives (the device unless the library says otherwise).</param>
public sealed record StateTensor(string Name, long Elements, DType Type, StatePlacement Placement = StatePlacement.Device)
{
    /// <summary>Bytes held.</summary>
    public long Bytes => Type.BytesOf(Elements);
}

/// <summary>Where an optimizer keeps a state tensor.</summary>
public enum StatePlacement
{
    /// <summary>Device memory through PyTorch's caching allocator.</summary>
    Device,
    /// <summary>CUDA unified memory (<c>cudaMallocManaged</c>, bitsandbytes' paged states): outside PyTorch's allocator, on
    /// the device once prefetched, evicted to host RAM by the driver when the device runs out.</summary>
    Managed,
    /// <summary>Host RAM (grokadamw 0.1.2 copies its states to the device for each parameter's update).</summary>
    Host,
}
