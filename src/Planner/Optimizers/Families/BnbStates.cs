namespace GaLore.Planner.Optimizers.Families;

/// <summary>
/// bitsandbytes' state buffers (<c>bitsandbytes/optim/optimizer.py</c>, <c>Optimizer1State</c>/<c>Optimizer2State.init_state</c>;
/// <c>ademamix.py</c> for AdEMAMix's double buffer): 32-bit states are always float32, whatever the parameter's dtype;
/// 8-bit states are uint8 codes of the parameter's shape plus one float32 <c>absmax</c> per <see cref="BlockSize"/>-element
/// block; a tensor under <see cref="Min8BitElements"/> elements keeps 32-bit states. With <c>is_paged</c>, state buffers of
/// tensors with at least <see cref="PagedMinElements"/> elements come from <c>cudaMallocManaged</c>
/// (<c>get_state_buffer</c>: <c>if not is_paged or p.numel() &lt; 1e5: torch.zeros_like</c>); <c>absmax</c> never does.
/// </summary>
public static class BnbStates
{
    /// <summary>Block size of block-wise quantization since bitsandbytes 0.44 (2048 before).</summary>
    public const int BlockSize = 256;

    /// <summary><c>min_8bit_size</c>: smaller tensors keep 32-bit states.</summary>
    public const int Min8BitElements = 4096;

    /// <summary>Paged buffers only for tensors of at least this many elements.</summary>
    public const long PagedMinElements = 100_000;

    /// <summary>Blocks covering <paramref name="n"/> elements: <c>n // 256 + bool(n % 256)</c>.</summary>
    public static long Blocks(long n) => (n + BlockSize - 1) / BlockSize;

    /// <summary>
    /// Whether a tensor keeps 8-bit states: the optimizer is 8-bit, the tensor has at least 4096 elements, and Hugging Face did
    /// not override it to 32 bits. <c>Trainer.create_optimizer</c> registers every <c>nn.Embedding</c> weight with
    /// <c>GlobalOptimManager.register_module_override(module, "weight", {"optim_bits": 32})</c> when a bitsandbytes optimizer
    /// has <c>optim_bits=8</c>; galore_torch's 8-bit AdamW is not built that way, so GaLore names keep 8-bit embeddings.
    /// </summary>
    public static bool EightBit(int bits, in StateShape shape, OptimizerSetup setup) =>
        bits == 8 && shape.Elements >= Min8BitElements && !(shape.IsEmbedding && !setup.Spec.GaLore);

    /// <summary>Adds the buffers of states named <c>state1</c>, <c>state2</c>, … (one entry per state; 2 elements per
    /// parameter element for AdEMAMix's stacked m1/m2) and, when 8-bit, their <c>absmax</c> vectors after them.</summary>
    /// <param name="states">The list to add to.</param>
    /// <param name="shape">The tensor's (possibly projected) shape.</param>
    /// <param name="copies">Per state, how many parameter-sized slices it stacks (1, or 2 for AdEMAMix's <c>state1</c>).</param>
    /// <param name="eightBit">Whether the tensor keeps 8-bit states (<see cref="EightBit"/>).</param>
    /// <param name="paged">Whether the optimizer is paged.</param>
    public static void Add(List<StateTensor> states, in StateShape shape, ReadOnlySpan<int> copies, bool eightBit, bool paged)
    {
        long n = shape.Elements;
        var placement = paged && n >= PagedMinElements ? StatePlacement.Managed : StatePlacement.Device;
        for (int k = 0; k < copies.Length; k++)
            states.Add(new StateTensor($"state{k + 1}", copies[k] * n, eightBit ? DType.UInt8 : DType.Float32, placement));
        if (!eightBit) return;
        for (int k = 0; k < copies.Length; k++)
            states.Add(new StateTensor($"absmax{k + 1}", copies[k] * Blocks(n), DType.Float32));
    }
}
