using GaLore.Planner.Memory;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Optimizers.Families;

/// <summary>The bitsandbytes optimizer classes Hugging Face's <c>_get_bitsandbytes_optimizer</c> picks by substring.</summary>
public enum BnbKind
{
    /// <summary><c>bnb.optim.AdamW</c> (<c>Optimizer2State</c>): exp_avg and exp_avg_sq.</summary>
    AdamW,
    /// <summary><c>bnb.optim.AdEMAMix</c> (Pagliardini et al. 2024, arXiv 2409.03137): the fast and slow EMAs m1, m2 stacked in
    /// one <c>(2, *shape)</c> <c>state1</c>, and ν in <c>state2</c>.</summary>
    AdEMAMix,
    /// <summary><c>bnb.optim.Lion</c> (Chen et al. 2023, arXiv 2302.06675; <c>Optimizer1State</c>): one momentum.</summary>
    Lion,
    /// <summary><c>bnb.optim.RMSprop</c> (<c>Optimizer1State</c>): one square average.</summary>
    RMSprop,
}

/// <summary>
/// bitsandbytes' AdamW (32-bit paged), AdEMAMix, Lion and RMSprop at 8 or 32 bits, paged or not
/// (<c>bitsandbytes/optim/{adamw,ademamix,lion,rmsprop}.py</c>; layouts in <see cref="BnbStates"/>). Each update is one
/// fused CUDA kernel per parameter (<c>optimizer_update_32bit</c> / <c>optimizer_update_8bit_blockwise</c>), so the PyTorch
/// stack has no parameter-sized temporaries. 8-bit AdamW (non-paged and paged) is <see cref="AdamW8bitModel"/>.
/// </summary>
/// <param name="kind">The class.</param>
/// <param name="bits">optim_bits (HF: 8 when the name holds "8bit", else 32).</param>
/// <param name="paged">is_paged (HF: when the name holds "paged"; bnb's RMSprop has no paged form).</param>
/// <param name="kernel">Whether this project trains the name with a TorchSharp kernel.</param>
public sealed class BitsAndBytesModel(BnbKind kind, int bits, bool paged, bool kernel = false) : OptimizerModel
{
    /// <summary>AdEMAMix's knobs as HF's handler reads them (<c>float(optim_args.get(…))</c>; t_alpha/t_beta3 <c>int</c>, only
    /// when given). None changes memory.</summary>
    public static readonly IReadOnlyList<OptimizerKnob> AdEMAMixKnobs =
    [
        new("beta1", "0.9", "fast EMA coefficient (adam_beta1)", false) { Min = 0, Max = 1, MaxExclusive = true },
        new("beta2", "0.999", "second-moment coefficient (adam_beta2)", false) { Min = 0, Max = 1, MaxExclusive = true },
        new("beta3", "0.9999", "slow EMA coefficient", false) { Min = 0, Max = 1, MaxExclusive = true },
        new("alpha", "5.0", "weight of the slow EMA in the update", false) { Min = 0 },
        new("eps", "1e-08", "added to the denominator (adam_epsilon)", false) { Min = 0 },
        new("t_alpha", "none", "steps of alpha's warm-up scheduler", false, KnobKind.Integer) { Min = 1 },
        new("t_beta3", "none", "steps of beta3's warm-up scheduler", false, KnobKind.Integer) { Min = 1 },
    ];

    /// <summary>The class.</summary>
    public BnbKind Kind => kind;

    /// <summary>8 or 32.</summary>
    public int Bits => bits;

    /// <summary>Whether large state buffers are paged.</summary>
    public bool Paged => paged;

    public override string Id => kind switch
    {
        BnbKind.AdamW => $"{(paged ? "paged_" : "")}adamw_{bits}bit",
        BnbKind.AdEMAMix => bits == 32 && !paged ? "ademamix" : $"{(paged ? "paged_" : "")}ademamix_{bits}bit",
        BnbKind.Lion => $"{(paged ? "paged_" : "")}lion_{bits}bit",
        BnbKind.RMSprop => $"rmsprop_bnb_{bits}bit",
        _ => throw new InvalidOperationException($"unknown bitsandbytes kind {kind}"),
    };

    public override string Library => $"bitsandbytes.optim.{kind} (optim_bits={bits}{(paged ? ", is_paged=True" : "")})";

    public override IReadOnlyList<OptimizerKnob> Knobs => kind == BnbKind.AdEMAMix ? AdEMAMixKnobs : [];

    public override DType ComputeType(Precision precision) => DTypes.FloatOfBytes(precision.GradientBytes);

    public override void AddStates(in StateShape shape, OptimizerSetup setup, Precision precision, List<StateTensor> states)
    {
        ReadOnlySpan<int> copies = kind switch
        {
            BnbKind.AdamW => [1, 1],
            BnbKind.AdEMAMix => [2, 1],
            BnbKind.Lion or BnbKind.RMSprop => [1],
            _ => throw new InvalidOperationException($"unknown bitsandbytes kind {kind}"),
        };
        BnbStates.Add(states, shape, copies, BnbStates.EightBit(bits, shape, setup), paged);
    }

    /// <summary>One fused kernel per parameter updates states and weight in registers: no temporaries.</summary>
    public override long PyTorchUpdateBytes(in UpdateShape u) => 0;

    /// <summary>This project's 32-bit Lion and AdEMAMix (<c>src/Kernels/Optimizers/Rules/LionRule.cs</c>,
    /// <c>AdEMAMixRule.cs</c>) work through the flat float32 states in chunks of L = <see cref="ChunkBudget.Of"/>(n) elements,
    /// updating them in place: the gradient chunk in float32 (4L bytes unless the gradient is float32), the rule's float32
    /// results — Lion's <c>sign(β1·m + (1−β1)·g)</c> (4L); AdEMAMix's <c>denom</c> and numerator (8L) — and, for a 16-bit
    /// weight, the update cast to it (L·wb).</summary>
    public override long TorchSharpUpdateBytes(in UpdateShape u)
    {
        if (!kernel || bits != 32 || paged) return base.TorchSharpUpdateBytes(u);
        long l = ChunkBudget.Of(u.Elements);
        long gradient = u.GradBytes == 4 ? 0 : 4 * l;
        long cast = u.WeightBytes == 4 ? 0 : u.WeightBytes * l;
        long work = kind switch
        {
            BnbKind.Lion => 4 * l,
            BnbKind.AdEMAMix => 8 * l,
            _ => throw new InvalidOperationException($"no TorchSharp kernel for bitsandbytes {kind}"),
        };
        return gradient + work + cast;
    }

    public override bool HasTorchSharpKernel => kernel;
}
