using GaLore.Kernels.Quantization;
using GaLore.Planner.Optimizers.Families;
using GaLore.Planner.Runtime;
using static TorchSharp.torch;

namespace GaLore.Kernels.Optimizers.Rules;

/// <summary>
/// AdamW with torchao-style 4-bit block-wise states (<c>torchao.optim.AdamW4bit</c>, Hugging Face <c>adamw_torch_4bit</c>
/// with its block size 256; Li et al. 2023, arXiv 2309.01507). A tensor with at least 4096 elements and a multiple of the
/// block keeps, per moment, uint8 <c>codes</c> (two 4-bit codes per byte, the even element in the high nibble), a float32
/// <c>scale</c> (absmax) per block and its 16-entry float32 <c>qmap</c>; any other tensor keeps both moments unquantized in
/// the weight's dtype (<c>_AdamBase._new_buffer</c>). The step is torchao's <c>single_param_adam</c> in float32:
/// m ← lerp(m, g, 1 − β1), v ← lerp(v, g², 1 − β2), W −= lr·(m/(1 − β1ᵗ)) / (√v/√(1 − β2ᵗ) + ε), the moments written back
/// quantized after the weight is updated. Unfused, it works in chunks of whole blocks so the float32 copies exist for one
/// chunk only (<see cref="LowBitAdamWBudget"/> counts them).
/// </summary>
internal sealed class LowBitAdamWRule(long blockSize) : IUpdateRule<AdamWOptions>
{
    /// <summary>Elements per scale.</summary>
    public long BlockSize { get; } = blockSize >= 2 && blockSize % 2 == 0
        ? blockSize : throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "block size must be even (two 4-bit codes per byte)");

    public ScalarType ComputeType(ScalarType gradType) => gradType;

    public void Apply(ParameterState state, Tensor grad, UpdateSink sink, AdamWOptions o, double lr)
    {
        long n = grad.numel();
        bool quantized = TorchAoAdamWModel.Quantized(n, BlockSize);
        var (first, second) = quantized ? Quantized(state, n, grad.device) : Plain(state);
        double b1 = o.beta1!.Value, b2 = o.beta2!.Value;
        double bc1 = 1 - Math.Pow(b1, state.Step), sqrtBc2 = Math.Sqrt(1 - Math.Pow(b2, state.Step));
        using var flat = grad.reshape(-1);
        long chunk = LowBitAdamWBudget.ChunkOf(n, BlockSize);
        for (long offset = 0; offset < n; offset += chunk)
        {
            using var scope = NewDisposeScope();
            long length = Math.Min(chunk, n - offset);
            Tensor m, v;
            using (var g = flat.narrow(0, offset, length).to(ScalarType.Float32))
            {
                m = first.Load(offset, length);
                v = second.Load(offset, length);
                m.lerp_(g, 1 - b1);
                v.mul_(b2).addcmul_(g, g, 1 - b2);
            }
            using (var denom = v.sqrt().div_(sqrtBc2).add_(o.eps!.Value))
            using (NewDisposeScope())
                sink.AddRatio(m, denom, -lr / bc1, offset);
            first.Store(m, offset);
            m.Dispose();
            second.Store(v, offset);
            v.Dispose();
        }
    }

    (StateCodec, StateCodec) Quantized(ParameterState state, long n, Device device)
    {
        StateCodec Moment(string name, FourBitMap map)
        {
            var codes = state.GetOrCreate(name + ".codes", () => zeros([n / 2], ScalarType.Byte, device));
            var scale = state.GetOrCreate(name + ".scale", () => zeros([n / BlockSize], ScalarType.Float32, device));
            var qmap = state.GetOrCreate(name + ".qmap", () => tensor(map.Values.ToArray()).to(device));
            return new FourBitCodec(codes, scale, qmap, map, BlockSize);
        }
        return (Moment("exp_avg", FourBitMap.Signed), Moment("exp_avg_sq", FourBitMap.Unsigned));
    }

    static (StateCodec, StateCodec) Plain(ParameterState state)
    {
        var w = state.Parameter;
        return (new WeightDtypeCodec(state.GetOrCreate("exp_avg", () => zeros([w.numel()], w.dtype, w.device))),
                new WeightDtypeCodec(state.GetOrCreate("exp_avg_sq", () => zeros([w.numel()], w.dtype, w.device))));
    }
}

/// <summary>An unquantized moment in the weight's dtype: chunks load as float32 (a view when it is float32, so updated in
/// place) and are copied back otherwise.</summary>
internal sealed class WeightDtypeCodec(Tensor storage) : StateCodec
{
    public override Tensor Load(long offset, long length) => storage.narrow(0, offset, length).to(ScalarType.Float32);

    public override void Store(Tensor values, long offset)
    {
        if (storage.dtype == ScalarType.Float32) return;
        using var target = storage.narrow(0, offset, values.shape[0]);
        target.copy_(values);
    }
}

/// <summary>
/// A torchao 4-bit moment: <c>codes</c> (n/2 bytes), one float32 <c>scale</c> per block, and its <c>qmap</c>. Loading a chunk
/// unpacks the nibbles, looks them up and multiplies by the block scales (the int32 indices and the float32 values exist at
/// once); storing takes each block's absmax (floored at 1e-12, torchao's <c>scale_tensor</c>), normalises in place, finds
/// the nearest codes (<c>bucketize</c> over the midpoints, ties up) and packs them two per byte.
/// </summary>
internal sealed class FourBitCodec(Tensor codes, Tensor scale, Tensor qmap, FourBitMap map, long blockSize) : StateCodec
{
    public override Tensor Load(long offset, long length)
    {
        using var packed = codes.narrow(0, offset / 2, length / 2);
        Tensor index;
        using (var hi = packed.bitwise_right_shift(4))
        using (var lo = packed.bitwise_and(0xF))
        using (var pairs = stack([hi, lo], 1))
        using (var flat = pairs.view(-1))
            index = flat.to(ScalarType.Int32);
        Tensor values;
        using (index) values = qmap.index_select(0, index);
        using (var blocks = values.view(-1, blockSize))
        using (var s = Scales(offset, length))
        using (var column = s.unsqueeze(1))
            blocks.mul_(column);
        return values;
    }

    public override void Store(Tensor values, long offset)
    {
        long length = values.shape[0];
        using (var blocks = values.view(-1, blockSize))
        using (var s = Scales(offset, length))
        {
            using (var hi = blocks.amax([1]))
            using (var lo = blocks.amin([1]))
            using (var absmax = maximum(hi, lo.neg_()))
                s.copy_(absmax.clamp_min_(1e-12));
            using var column = s.unsqueeze(1);
            blocks.div_(column);
        }
        Tensor nibbles;
        using (var mids = map.Midpoints.to(values.device))
        using (var index = bucketize(values, mids, outInt32: true, right: true))
            nibbles = index.to(ScalarType.Byte);
        using (nibbles)
        using (var pairs = nibbles.view(-1, 2))
        using (var even = pairs.select(1, 0))
        using (var odd = pairs.select(1, 1))
        using (var byteCodes = even.bitwise_left_shift(4).bitwise_or_(odd))
        using (var target = codes.narrow(0, offset / 2, length / 2))
            target.copy_(byteCodes);
    }

    Tensor Scales(long offset, long length)
    {
        if (offset % blockSize != 0 || length % blockSize != 0) throw new ArgumentException("chunks must be whole blocks");
        return scale.narrow(0, offset / blockSize, length / blockSize);
    }
}
