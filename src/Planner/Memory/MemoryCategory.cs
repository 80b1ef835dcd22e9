namespace GaLore.Planner.Memory;

/// <summary>The breakdown rows <c>fit</c> reports (and the JSON <c>breakdown</c> keys).</summary>
public enum MemoryCategory
{
    /// <summary>Trainable weights (master copies under mixed precision).</summary>
    Weights,
    /// <summary>Parameter gradients (<c>.grad</c>).</summary>
    Gradients,
    /// <summary>Optimizer states kept between steps, GaLore projectors included.</summary>
    OptimizerStates,
    /// <summary>Tensors autograd saves for backward, forward/backward intermediates, logits and loss buffers,
    /// and the BF16 weight copies autocast makes.</summary>
    Activations,
    /// <summary>Transients of the optimizer step (SVD at a projection refresh, dequantized states, update
    /// buffers), runtime buffers (CUDA context, cuBLAS workspace) and allocator rounding.</summary>
    Other,
}

/// <summary>Byte totals per <see cref="MemoryCategory"/>.</summary>
public struct CategoryBytes
{
    public long Weights, Gradients, OptimizerStates, Activations, Other;

    /// <summary>Sum of all categories.</summary>
    public readonly long Total => Weights + Gradients + OptimizerStates + Activations + Other;

    /// <summary>Adds bytes to one category.</summary>
    public void Add(MemoryCategory c, long bytes)
    {
        switch (c)
        {
            case MemoryCategory.Weights: Weights += bytes; break;
            case MemoryCategory.Gradients: Gradients += bytes; break;
            case MemoryCategory.OptimizerStates: OptimizerStates += bytes; break;
            case MemoryCategory.Activations: Activations += bytes; break;
            case MemoryCategory.Other: Other += bytes; break;
            default: throw new ArgumentOutOfRangeException(nameof(c), c, "unknown memory category");
        }
    }

    /// <summary>Bytes of one category.</summary>
    public readonly long this[MemoryCategory c] => c switch
    {
        MemoryCategory.Weights => Weights,
        MemoryCategory.Gradients => Gradients,
        MemoryCategory.OptimizerStates => OptimizerStates,
        MemoryCategory.Activations => Activations,
        MemoryCategory.Other => Other,
        _ => throw new ArgumentOutOfRangeException(nameof(c), c, "unknown memory category"),
    };
}
