using GaLore.Planner.Memory;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Optimizers.Families;

/// <summary>
/// AdamW with block-wise 8-bit moments (Dettmers et al. 2022, arXiv 2110.02861 §2; bitsandbytes <c>Optimizer2State</c>):
/// uint8 <c>state1</c>/<c>state2</c> plus one float32 <c>absmax</c> per block of <see cref="BlockSize"/> elements per
/// state; tensors under <see cref="Min8BitElements"/> elements keep float32 states, and so do <c>nn.Embedding</c> weights
/// under Hugging Face's bitsandbytes names (<see cref="BnbStates.EightBit"/>). The paged instance (<c>paged_adamw_8bit</c>)
/// keeps the uint8 codes of large tensors in CUDA unified memory.
/// </summary>
/// <param name="paged">bitsandbytes' <c>is_paged</c> (HF: the name holds "paged").</param>
public sealed class AdamW8bitModel(bool paged = false) : OptimizerModel
{
    /// <summary>bitsandbytes' block size for block-wise quantization since 0.44 (2048 before).</summary>
    public const int BlockSize = BnbStates.BlockSize;

    /// <summary>bitsandbytes' <c>min_8bit_size</c>: smaller tensors keep 32-bit states.</summary>
    public const int Min8BitElements = BnbStates.Min8BitElements;

    public override string Id => paged ? "paged_adamw_8bit" : "adamw_8bit";
    public override string Library => paged
        ? "bitsandbytes.optim.AdamW (optim_bits=8, is_paged=True)"
        : "bitsandbytes.optim.AdamW (optim_bits=8); galore_torch.GaLoreAdamW8bit for GaLore";
    public override DType ComputeType(Precision precision) => DTypes.FloatOfBytes(precision.GradientBytes);

    public override void AddStates(in StateShape shape, OptimizerSetup setup, Precision precision, List<StateTensor> states) =>
        BnbStates.Add(states, shape, [1, 1], BnbStates.EightBit(8, shape, setup), paged);

    /// <summary>bitsandbytes' fused kernel updates in place (no temporaries). galore_torch's <c>AdamW8bit</c> keeps
    /// <c>p.saved_data = p.data.clone()</c> while R exists, then R, <c>p.data</c> (R-sized) and <c>project_back</c>'s
    /// two full-size tensors — the clone its own comment calls "suboptimal".</summary>
    public override long PyTorchUpdateBytes(in UpdateShape u)
    {
        if (u.GaLore is null) return 0;
        long n = u.Elements, r = u.OptimizerElements;
        int gb = u.GradBytes, wb = u.WeightBytes;
        return Math.Max(r * gb + n * wb, r * gb + r * wb + 2 * n * gb);
    }

    /// <summary>This project's 8-bit AdamW dequantizes, updates and requantizes the states in chunks
    /// (<see cref="KernelBudget.EightBitUpdateTransientBytes"/>, derived op by op; an embedding's float32 states under HF's
    /// override are updated in place); <c>DirectSink</c> casts each chunk's update to a non-float32 weight,
    /// <c>ProjectedSink</c> collects N in the gradient's dtype. Under GaLore R = project(G) and the collected N outlive the
    /// chunks; for <c>full</c> the m × r product P·N comes after the last chunk is freed.</summary>
    public override long TorchSharpUpdateBytes(in UpdateShape u)
    {
        if (paged) return base.TorchSharpUpdateBytes(u);
        long r = u.OptimizerElements;
        int gb = u.GradBytes, wb = u.WeightBytes, sb = u.StateBytes;
        if (u.GaLore is null && u.IsEmbedding)
        {
            // HF's 32-bit override: float32 states are views, so a chunk holds the float32 gradient (unless it is float32),
            // denom, and the update cast to a 16-bit weight.
            long l = Math.Min(r, KernelBudget.QuantChunkElements);
            return l * ((gb == 4 ? 0 : 4) + 4 + (wb == 4 ? 0 : wb));
        }
        long chunk = KernelBudget.EightBitUpdateTransientBytes(r, u.GaLore is null && wb != 4 ? wb : 0);
        if (u.GaLore is not { } g) return chunk;
        long fullCore = g.Side == ProjectionSide.Both ? g.LeftProjectorRows * g.Rank * sb : 0;
        return r * gb + r * sb + Math.Max(chunk, fullCore);
    }

    public override bool HasTorchSharpKernel => !paged;
}
