using GaLore.Planner.Optimizers;

namespace GaLore.Planner.Runtime;

/// <summary>How RMSNorm keeps tensors for backward.</summary>
public enum NormStyle
{
    /// <summary>Hugging Face's <c>LlamaRMSNorm</c>: upcasts to float32 and keeps the float32 input,
    /// 1/rms, and the normalized tensor in the input dtype (for the weight's gradient).</summary>
    HfUpcast,
    /// <summary>A fused norm (custom autograd function): keeps only its input and 1/rms per token.</summary>
    SavesInputAndRstd,
}

/// <summary>Implementation choices that shape the forward/backward graph.</summary>
/// <param name="Norm">RMSNorm implementation.</param>
/// <param name="RepeatKvForGqa">Grouped-query attention materialises repeated K/V heads before attention
/// (HF's <c>repeat_kv</c>), instead of letting the kernel broadcast them.</param>
/// <param name="UpcastLogits">The loss upcasts the logits to float32 first (HF's <c>ForCausalLMLoss</c>).</param>
/// <param name="HostKernels">libtorch's CPU kernels run the step, which (measured with libtorch 2.10) differ from the
/// CUDA ones in two ways that cost memory: <c>softmax(x, dtype=float32)</c> of a BF16 input first makes a float32
/// copy of x, and the CPU flash-attention kernel returns its output laid out (B, heads, T, d), so merging the heads
/// for o_proj copies it.</param>
public sealed record GraphFlavor(NormStyle Norm, bool RepeatKvForGqa, bool UpcastLogits, bool HostKernels = false);

/// <summary>
/// Everything that differs between training stacks with the same model and optimizer — kept in this one
/// file so the differences are visible side by side. Two stacks are modelled:
/// <see cref="PyTorchReference"/> (PyTorch + transformers + galore-torch + bitsandbytes, what users run)
/// and <see cref="TorchSharpKernels"/> (this project's own kernels, which the profiler measures).
/// </summary>
public abstract class RuntimeProfile
{
    /// <summary>PyTorch 2.x, <c>transformers</c> Llama with SDPA, <c>galore_torch</c> optimizers, bitsandbytes 8-bit.</summary>
    public static readonly RuntimeProfile PyTorchReference = new PyTorchReferenceProfile();

    /// <summary>This project's TorchSharp model and optimizers (<c>src/Profiler</c>, <c>src/Kernels</c>).</summary>
    public static readonly RuntimeProfile TorchSharpKernels = new TorchSharpKernelsProfile();

    /// <summary>Both profiles.</summary>
    public static IReadOnlyList<RuntimeProfile> All => [PyTorchReference, TorchSharpKernels];

    /// <summary>Short name: <c>pytorch</c> or <c>torchsharp</c>.</summary>
    public abstract string Name { get; }

    /// <summary>One line describing the stack.</summary>
    public abstract string Description { get; }

    /// <summary>Graph-shaping choices of the stack itself.</summary>
    public abstract GraphFlavor Flavor { get; }

    /// <summary>The graph-shaping choices when the step runs on <paramref name="device"/>.</summary>
    public GraphFlavor FlavorOn(DeviceKind device) => Flavor with { HostKernels = device == DeviceKind.Cpu };

    /// <summary>Plain AdamW updates all parameters at once with multi-tensor (<c>_foreach_</c>) kernels, whose
    /// temporary <c>sqrt(exp_avg_sq)</c> list is as large as all second moments together.</summary>
    public abstract bool ForeachAdamW { get; }

    /// <summary>Most bytes alive at once, beyond the parameter, its gradient and its states, while one
    /// parameter is updated on a step without a projection refresh.</summary>
    public abstract long UpdateTransientBytes(in UpdateShape u);

    /// <summary>
    /// Bytes alive during a projection refresh of one GaLore parameter: the float32 copy of the gradient
    /// (when it is not float32 already), the SVD's workspace (<see cref="SvdWorkspace.Bytes"/>) and the new
    /// projector, which exists before the old one is dropped. Both stacks call <c>linalg.svd</c> the same way.
    /// </summary>
    public long RefreshTransientBytes(in UpdateShape u)
    {
        if (u.GaLore is not { } g) return 0;
        long upcast = u.GradBytes == 4 ? 0 : 4 * u.Elements;
        long projector = g.ProjectorElements * u.StateBytes;
        return upcast + SvdWorkspace.Bytes(u.Rows, u.Cols) + projector;
    }

    /// <summary>Parses <c>pytorch</c> or <c>torchsharp</c>.</summary>
    public static RuntimeProfile Parse(string name)
    {
        foreach (var p in All)
            if (string.Equals(p.Name, name.Trim(), StringComparison.OrdinalIgnoreCase)) return p;
        throw new PlannerInputException($"unknown runtime '{name}': use pytorch or torchsharp");
    }

    public override string ToString() => Name;
}

/// <summary>
/// The stack users run. Transients follow the reference sources: <c>torch.optim.AdamW</c> (foreach),
/// <c>galore_torch.AdamW</c> (per-parameter loop: projected grad, <c>denom</c>, normalized grad, and
/// <c>project_back</c>'s full-size result and its scaled copy), <c>galore_torch.AdamW8bit</c> (bitsandbytes'
/// fused 8-bit kernel, plus the full weight clone the reference itself calls "suboptimal"),
/// <c>transformers.Adafactor</c> / <c>galore_torch.Adafactor</c> (float32 copies of gradient and weight,
/// the squared gradient, the factored estimate and the negated update).
/// </summary>
sealed class PyTorchReferenceProfile : RuntimeProfile
{
    public override string Name => "pytorch";
    public override string Description => "PyTorch + transformers (SDPA) + galore-torch + bitsandbytes";
    public override GraphFlavor Flavor { get; } = new(NormStyle.HfUpcast, RepeatKvForGqa: true, UpcastLogits: true);
    public override bool ForeachAdamW => true;

    public override long UpdateTransientBytes(in UpdateShape u)
    {
        long n = u.Elements, r = u.OptimizerElements;
        int gb = u.GradBytes, wb = u.WeightBytes, sb = u.StateBytes;
        switch (u.Base)
        {
            case BaseOptimizer.AdamW when u.GaLore is null:
                return n * sb; // one parameter's share of the foreach sqrt list (per-parameter optimizers when layerwise)
            case BaseOptimizer.AdamW:
                return r * gb + 2 * r * sb + 2 * n * gb; // R, denom, R/denom, then project_back and its ·scale copy
            case BaseOptimizer.AdamW8bit when u.GaLore is null:
                return 0; // fused kernel updates in place
            case BaseOptimizer.AdamW8bit:
                // p.saved_data = p.data.clone() while R exists; later R, p.data (R-sized) and project_back's two full tensors
                return Math.Max(r * gb + n * wb, r * gb + r * wb + 2 * n * gb);
            default:
                long upcastGrad = gb == 2 ? 4 * n : 0, upcastWeight = wb == 2 ? 4 * n : 0;
                if (u.GaLore is null)
                    return upcastGrad + 8 * n + upcastWeight; // grad²+eps and the factored estimate, then -update
                return Math.Max(upcastGrad + 4 * r, 8 * r + 8 * n + upcastWeight);
        }
    }
}

/// <summary>
/// This project's kernels (<c>src/Kernels</c>): updates are applied in place with <c>addmm_</c> /
/// <c>addcdiv_</c>, so no full-size update tensor exists; 8-bit states are dequantized in chunks of
/// <see cref="KernelBudget.QuantChunkElements"/> elements; the norm is a fused autograd function; K/V heads are
/// repeated for grouped-query attention because the CPU attention kernel needs equal head counts.
/// </summary>
sealed class TorchSharpKernelsProfile : RuntimeProfile
{
    public override string Name => "torchsharp";
    public override string Description => "this project's TorchSharp model and GaLore kernels";
    public override GraphFlavor Flavor { get; } = new(NormStyle.SavesInputAndRstd, RepeatKvForGqa: true, UpcastLogits: true);
    public override bool ForeachAdamW => false;

    public override long UpdateTransientBytes(in UpdateShape u)
    {
        long n = u.Elements, r = u.OptimizerElements;
        int gb = u.GradBytes, wb = u.WeightBytes, sb = u.StateBytes;
        long projected = u.GaLore is null ? 0 : r * gb;                   // R = project(G)
        long fullCore = u.GaLore is { Side: ProjectionSide.Both } g ? g.LeftProjectorRows * g.Rank * sb : 0; // P·N before ·Q
        switch (u.Base)
        {
            case BaseOptimizer.AdamW:
                return projected + r * sb + (u.GaLore is null ? 0 : fullCore); // denom, turned into N in place
            case BaseOptimizer.AdamW8bit:
                // DirectSink casts each chunk's update to a non-float32 weight; ProjectedSink collects N in the gradient's dtype.
                long chunk = KernelBudget.EightBitUpdateTransientBytes(r, u.GaLore is null && wb != 4 ? wb : 0);
                // Under GaLore R and the collected N (r · sb) outlive the chunks; P·N (Both) comes after the last chunk is freed.
                return u.GaLore is null ? chunk : projected + r * sb + Math.Max(chunk, fullCore);
            default:
                long upcast = gb == 2 ? 4 * r : 0;                             // float32 copy of (projected) gradient
                long update = 4 * r;                                           // grad² then the update, one at a time
                long cast = u.GaLore is { } gg && wb == 2 ? r * 2 + gg.ProjectorElements * 2 : 0; // bf16 copies for addmm_
                long core = u.GaLore is { Side: ProjectionSide.Both } gf ? gf.LeftProjectorRows * gf.Rank * wb : 0; // P·N, in W's dtype
                return projected + upcast + update + cast + core;
        }
    }
}
