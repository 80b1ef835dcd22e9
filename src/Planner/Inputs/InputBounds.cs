namespace GaLore.Planner.Inputs;

/// <summary>
/// The physically sensible range of every size a user gives the planner. Each bound is far beyond any model or GPU
/// that exists (the largest public decoders: 126 layers, hidden 16384, 128 heads, head_dim 256, a 262,144-token
/// vocabulary; the largest single GPU: 288 GB), so a value outside it is a typo or a fuzzer, and is refused with a
/// one-line error before any arithmetic. Within these bounds every size the step compiler forms fits a 64-bit
/// integer; where a product of bounded inputs could still overflow (tokens × sequence for a materialised attention
/// matrix), <see cref="Memory.StepProgram"/> checks its magnitude before it evaluates.
/// </summary>
public static class InputBounds
{
    /// <summary>Most decoder blocks (<c>num_hidden_layers</c>): 1,024, 8× Llama-3.1-405B's 126.</summary>
    public const int MaxLayers = 1024;

    /// <summary>Widest residual stream (<c>hidden_size</c>): 2¹⁷ = 131,072, 8× Llama-3.1-405B's 16,384.</summary>
    public const int MaxHidden = 1 << 17;

    /// <summary>Widest MLP (<c>intermediate_size</c>): 2²⁰ = 1,048,576, about 20× Llama-3.1-405B's 53,248.</summary>
    public const int MaxIntermediate = 1 << 20;

    /// <summary>Largest vocabulary (<c>vocab_size</c>): 2²⁴ = 16,777,216, 64× Gemma-3's 262,144.</summary>
    public const int MaxVocab = 1 << 24;

    /// <summary>Most attention heads (query or key/value): 1,024, 8× Llama-3.1-405B's 128.</summary>
    public const int MaxHeads = 1024;

    /// <summary>Widest head (<c>head_dim</c>): 4,096, 16× Gemma-2's 256.</summary>
    public const int MaxHeadDim = 4096;

    /// <summary>Longest rotary table (<c>max_position_embeddings</c>): 2²⁸ tokens, 25× the longest published context (10M).</summary>
    public const int MaxPositions = 1 << 28;

    /// <summary>Most parameters a model may have: 2⁵⁰ ≈ 1.1 × 10¹⁵, some 500× the largest trained dense or sparse models.</summary>
    public const long MaxParameters = 1L << 50;

    /// <summary>Largest micro-batch (<c>--batch</c>): 2²⁰ sequences.</summary>
    public const int MaxBatch = 1 << 20;

    /// <summary>Longest sequence (<c>--seq</c>): 2²⁴ = 16,777,216 tokens, beyond the longest published context (10M).</summary>
    public const int MaxSeq = 1 << 24;

    /// <summary>Largest memory size accepted anywhere (GPU capacity, reserve, CUDA context): 4 TiB, 14× the largest GPU (288 GB).</summary>
    public const long MaxMemoryBytes = 1L << 42;

    /// <summary>Smallest GPU capacity: 256 MiB (no CUDA card trains anything in less; the CUDA context alone takes ≈ 0.4 GiB).</summary>
    public const long MinGpuBytes = 256L << 20;

    /// <summary>Checks that <paramref name="value"/> lies in [1, <paramref name="max"/>]; the message names <paramref name="what"/>.</summary>
    public static int Positive(int value, int max, string what)
    {
        if (value <= 0) throw new PlannerInputException($"{what} must be positive, got {value}");
        if (value > max) throw new PlannerInputException($"{what} is {value:N0}, beyond any real run (at most {max:N0})");
        return value;
    }
}
