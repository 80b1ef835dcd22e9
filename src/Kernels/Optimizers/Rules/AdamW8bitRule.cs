using GaLore.Kernels.Quantization;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Runtime;
using static TorchSharp.torch;

namespace GaLore.Kernels.Optimizers.Rules;

/// <summary>
/// 8-bit AdamW with block-wise quantized moments (Dettmers et al. 2022, arXiv 2110.02861; bitsandbytes
/// <c>AdamW8bit</c> with <c>optim_bits=8</c>, block size 256): <c>state1</c> (m) uses the signed dynamic code,
/// <c>state2</c> (v) the unsigned one, each with a float32 <c>absmax</c> per block; tensors under
/// <see cref="GaLore.Planner.Optimizers.Families.AdamW8bitModel.Min8BitElements"/> elements, and groups with
/// <c>optim_bits = 32</c> (Hugging Face's embedding override), keep float32 <c>state1</c>/<c>state2</c>. The step is
/// bitsandbytes' (torch ε placement): W −= lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε).
/// <para>Unfused: the flat states are processed in chunks of <see cref="ChunkElements"/> elements (whole blocks), so
/// dequantized float32 copies exist for one chunk only; the planner's budget for one chunk,
/// <see cref="KernelBudget.QuantChunkTransientBytes"/>, walks through this method op by op (12 B per chunk element
/// at 2²⁰ elements) — keep the two in step.</para>
/// </summary>
internal sealed class AdamW8bitRule : IUpdateRule<AdamWOptions>
{
    public static readonly AdamW8bitRule Instance = new();

    /// <summary>Chunk length, shared with the planner (a multiple of 256).</summary>
    public const long ChunkElements = KernelBudget.QuantChunkElements;

    public ScalarType ComputeType(ScalarType gradType) => gradType;

    public void Apply(ParameterState state, Tensor grad, UpdateSink sink, AdamWOptions o, double lr)
    {
        long n = grad.numel();
        var (first, second) = Codecs(state, n, grad.device, o.optim_bits == 32);
        double b1 = o.beta1!.Value, b2 = o.beta2!.Value;
        double bc1 = 1 - Math.Pow(b1, state.Step), sqrtBc2 = Math.Sqrt(1 - Math.Pow(b2, state.Step));
        using var flat = grad.reshape(-1);                   // a view for contiguous gradients
        for (long offset = 0; offset < n; offset += ChunkElements)
        {
            using var scope = NewDisposeScope();
            long length = Math.Min(ChunkElements, n - offset);
            var m = first.Load(offset, length);
            var v = second.Load(offset, length);
            using (var g = flat.narrow(0, offset, length).to(ScalarType.Float32))
            {
                m.mul_(b1).add_(g, 1 - b1);
                v.mul_(b2).addcmul_(g, g, 1 - b2);
            }
            using (var denom = v.sqrt().div_(sqrtBc2).add_(o.eps!.Value))
                sink.AddRatio(m, denom, -lr / bc1, offset);
            first.Store(m, offset);
            second.Store(v, offset);
        }
    }

    static (StateCodec First, StateCodec Second) Codecs(ParameterState state, long n, Device device, bool float32States)
    {
        if (float32States || n < GaLore.Planner.Optimizers.Families.AdamW8bitModel.Min8BitElements)
            return (new Float32Codec(state.GetOrCreate("state1", () => zeros([n], ScalarType.Float32, device))),
                    new Float32Codec(state.GetOrCreate("state2", () => zeros([n], ScalarType.Float32, device))));
        long blocks = BlockwiseQuantizer.Blocks(n);
        // Code indices of exact zero, so fresh states dequantize to 0 (absmax starts at 0 as well).
        byte zeroSigned = ZeroCode(DynamicQuantizationMap.Signed), zeroUnsigned = ZeroCode(DynamicQuantizationMap.Unsigned);
        var s1 = state.GetOrCreate("state1", () => full([n], zeroSigned, ScalarType.Byte, device));
        var s2 = state.GetOrCreate("state2", () => full([n], zeroUnsigned, ScalarType.Byte, device));
        var a1 = state.GetOrCreate("absmax1", () => zeros([blocks], ScalarType.Float32, device));
        var a2 = state.GetOrCreate("absmax2", () => zeros([blocks], ScalarType.Float32, device));
        return (new BlockwiseCodec(s1, a1, DynamicQuantizationMap.Signed), new BlockwiseCodec(s2, a2, DynamicQuantizationMap.Unsigned));
    }

    static byte ZeroCode(DynamicQuantizationMap map)
    {
        for (int k = 0; k < map.Values.Count; k++)
            if (map.Values[k] == 0f) return (byte)k;
        throw new InvalidOperationException("the code has no zero");
    }
}
