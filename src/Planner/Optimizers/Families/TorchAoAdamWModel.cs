using GaLore.Planner.Memory;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Optimizers.Families;

/// <summary>
/// torchao's low-bit AdamW (<c>adamw_torch_4bit</c> → <c>AdamW4bit</c>, <c>adamw_torch_8bit</c> → <c>AdamW8bit</c>;
/// <c>torchao/optim/adam.py</c>, <c>subclass_4bit.py</c>, <c>subclass_8bit.py</c>; 4-bit states after Li et al. 2023,
/// arXiv 2309.01507): each moment of a tensor with at least 4096 elements and a multiple of <c>block_size</c> elements is a
/// tensor subclass holding uint8 <c>codes</c> (one per element at 8 bits; two 4-bit codes per byte, flattened, at 4 bits), a
/// float32 <c>scale</c> per block and its own float32 <c>qmap</c> (256 or 16 entries); any other tensor keeps
/// <c>torch.zeros_like(p)</c> moments in the parameter's dtype (<c>_AdamBase._new_buffer</c>). Hugging Face passes
/// <c>block_size=256</c> to both (overriding AdamW4bit's own 128).
/// </summary>
/// <param name="bits">4 or 8.</param>
public sealed class TorchAoAdamWModel(int bits) : OptimizerModel
{
    /// <summary>torchao's rule: quantize only tensors with at least this many elements (it follows bitsandbytes).</summary>
    public const int MinQuantizedElements = 4096;

    /// <summary>Elements sharing one float32 scale (HF's default 256).</summary>
    public static readonly OptimizerKnob BlockSize = new("block_size", "256",
        "elements per float32 scale (HF hands the text to torchao uncast; planned as the integer it names)", true, KnobKind.Integer) { Min = 2 };

    /// <summary>Stochastic rounding of bf16 weights on write-back.</summary>
    public static readonly OptimizerKnob StochasticRound = new("bf16_stochastic_round", "false",
        "stochastic rounding of bf16 weights (inside the compiled step)", false, KnobKind.Flag);

    /// <summary>4 or 8.</summary>
    public int Bits => bits;

    public override string Id => $"adamw_torch_{bits}bit";
    public override string Library => $"torchao.optim.AdamW{bits}bit (block_size 256 from HF)";
    public override IReadOnlyList<OptimizerKnob> Knobs { get; } = [BlockSize, StochasticRound];
    public override DType ComputeType(Precision precision) => DTypes.FloatOfBytes(precision.WeightBytes);

    /// <summary>The block size in use.</summary>
    public static long BlockOf(OptimizerSetup setup) => (long)setup.Knobs.Number(BlockSize)!.Value;

    /// <summary>Whether a tensor's moments are quantized (<c>numel ≥ 4096 and numel % block_size == 0</c>).</summary>
    public static bool Quantized(long elements, long block) => elements >= MinQuantizedElements && elements % block == 0;

    public override void AddStates(in StateShape shape, OptimizerSetup setup, Precision precision, List<StateTensor> states)
    {
        long n = shape.Elements, block = BlockOf(setup);
        if (!Quantized(n, block))
        {
            var t = ComputeType(precision);
            states.Add(new StateTensor("exp_avg", n, t));
            states.Add(new StateTensor("exp_avg_sq", n, t));
            return;
        }
        foreach (var moment in new[] { "exp_avg", "exp_avg_sq" })
        {
            states.Add(new StateTensor(moment + ".codes", bits == 8 ? n : n / 2, DType.UInt8));
            states.Add(new StateTensor(moment + ".scale", n / block, DType.Float32));
            states.Add(new StateTensor(moment + ".qmap", 1L << bits, DType.Float32));
        }
    }

    /// <summary>
    /// torchao steps each parameter with <c>torch.compile(single_param_adam)</c>, which works in float32 and writes the
    /// moments back quantized. Inductor fuses the element-wise work; counted here: the two float32 moments, which the
    /// compiled graph must hold between quantizing them (after a per-block reduction) and using them for the weight update
    /// (an estimate from the graph's structure — not measured).
    /// </summary>
    public override long PyTorchUpdateBytes(in UpdateShape u) => 8 * u.Elements;

    /// <summary>This project's 4-bit kernel (<c>src/Kernels/Optimizers/Rules/LowBitAdamWRule.cs</c>), per chunk of
    /// <see cref="ChunkBudget.Elements"/>: see <see cref="LowBitAdamWBudget.Bytes"/>.</summary>
    public override long TorchSharpUpdateBytes(in UpdateShape u)
    {
        if (bits != 4) return base.TorchSharpUpdateBytes(u);
        long block = BlockOf(u.Setup);
        return LowBitAdamWBudget.Bytes(u.Elements, block, Quantized(u.Elements, block), u.GradBytes, u.WeightBytes);
    }

    public override bool HasTorchSharpKernel => bits == 4;

    public override string? Note(OptimizerSetup setup) =>
        $"{Id}: torchao's compiled step is estimated at two float32 moment copies per parameter (not measured)";
}
