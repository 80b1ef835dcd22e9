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
/// CUDA ones where they cost memory: <c>softmax(x, dtype=float32)</c> of a BF16 input first makes a float32 copy of x;
/// dropout masks are kept at the activation's width; SDPA with dropout takes the composite math path; the CPU flash kernel
/// lays its output out as the query is, so merging the heads copies after a partial rotary (<c>GraphParts.HostMerge</c>) and
/// is a view otherwise.</param>
/// <param name="EagerExperts">Mixture-of-experts blocks always run the eager per-expert loop (this project's TorchSharp
/// model); false: the experts implementation the model's transformers version and config select (5.x: <c>grouped_mm</c>
/// unless <c>experts_implementation</c> says otherwise; 4.x: the eager loop).</param>
public sealed record GraphFlavor(NormStyle Norm, bool RepeatKvForGqa, bool UpcastLogits, bool HostKernels = false, bool EagerExperts = false);

/// <summary>
/// Everything that differs between training stacks with the same model and optimizer besides the optimizers'
/// own transients (which each <see cref="OptimizerModel"/> gives per runtime) — kept in this one file so the
/// differences are visible side by side. Two stacks are modelled:
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

    /// <summary>Most bytes alive at once, beyond the parameter, its gradient and its states, while one parameter is
    /// updated on a step without a projection refresh: the optimizer family's figure for this runtime.</summary>
    public abstract long UpdateTransientBytes(in UpdateShape u);

    /// <summary>Whether one step's per-parameter transients are all alive at once (multi-tensor kernels) on this runtime.</summary>
    public abstract bool StepsAllAtOnce(OptimizerSetup setup);

    /// <summary>Whether paged optimizer states (bitsandbytes' <c>paged_*</c>) live in CUDA unified memory on this runtime.</summary>
    public abstract bool PagesStates { get; }

    /// <summary>Bytes alive while an APOLLO projector is regenerated from its seed (<see cref="ProjectionRefresh.Gaussian"/>),
    /// beyond the states: the runtime's figure.</summary>
    public abstract long GaussianRefreshBytes(in UpdateShape u);

    /// <summary>Whether a GaLore projector computed in <paramref name="computeType"/> is kept as a slicing view of the SVD's
    /// factor (so the whole factor, <see cref="ProjectionGeometry.SvdFactorElements"/>, stays alive) rather than as a compact
    /// copy of its r singular vectors.</summary>
    public abstract bool ProjectorKeepsSvdFactor(DType computeType);

    /// <summary>Elements one GaLore projector keeps alive between refreshes on this runtime.</summary>
    public long ProjectorElements(in ProjectionGeometry g, DType computeType) =>
        ProjectorKeepsSvdFactor(computeType) ? g.SvdFactorElements : g.ProjectorElements;

    /// <summary>Bytes a 4-bit base weight's dequantization needs beside the dequantized weight (and the nested absmax):
    /// none for bitsandbytes' kernels, which write the weight directly; a constant for this project's chunked one.</summary>
    public virtual long FourBitDequantScratchBytes => 0;

    /// <summary>
    /// Bytes alive during a projection refresh of one GaLore parameter: the float32 copy of the gradient
    /// (when it is not float32 already), the SVD's workspace (<see cref="SvdWorkspace.Bytes"/> on the step's device, which counts U, S and Vᴴ)
    /// and, where the projector is a compact copy, that copy, which exists before the old one is dropped; a projector kept
    /// as a view of Vᴴ or U is one of the outputs already. Both stacks call <c>linalg.svd</c> the same way.
    /// APOLLO's Gaussian regeneration has no factorization: <see cref="GaussianRefreshBytes"/>.
    /// </summary>
    public long RefreshTransientBytes(in UpdateShape u, DeviceKind device)
    {
        if (u.GaLore is not { } g) return 0;
        if (u.Model.RefreshKind(u.Setup) == ProjectionRefresh.Gaussian) return GaussianRefreshBytes(u);
        long upcast = u.GradBytes == 4 ? 0 : 4 * u.Elements;
        long projector = ProjectorKeepsSvdFactor(u.Model.ComputeType(u.Precision)) ? 0 : g.ProjectorElements * u.StateBytes;
        return upcast + SvdWorkspace.Bytes(u.Rows, u.Cols, device) + projector;
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
/// The stack users run: PyTorch, <c>transformers</c> models with SDPA and <c>ForCausalLMLoss</c>, and the optimizer
/// libraries Hugging Face hands each name to; every family's transients are its <see cref="OptimizerModel.PyTorchUpdateBytes"/>.
/// </summary>
sealed class PyTorchReferenceProfile : RuntimeProfile
{
    public override string Name => "pytorch";
    public override string Description => "PyTorch + transformers (SDPA) + galore-torch + bitsandbytes";
    public override GraphFlavor Flavor { get; } = new(NormStyle.HfUpcast, RepeatKvForGqa: true, UpcastLogits: true);
    public override long UpdateTransientBytes(in UpdateShape u) => u.Model.PyTorchUpdateBytes(u);
    public override bool StepsAllAtOnce(OptimizerSetup setup) => setup.Spec.Model.PyTorchStepsAllAtOnce(setup);
    public override bool PagesStates => true;

    /// <summary>
    /// galore-torch's <c>GaLoreProjector.get_orthogonal_matrix</c> (galore_torch/galore_projector.py, jiaweizzhao/GaLore
    /// 2cc66f88): when the matrix it is given is already float32 (<c>float_data = True</c>) it returns <c>Vh[:rank, :]</c> /
    /// <c>U[:, :rank]</c> as they are — slicing views that keep the whole factor alive; otherwise <c>.type(original_type)</c>
    /// makes a compact copy and the float32 factors are freed. The matrix is the gradient as the optimizer projects it, which
    /// is float32 exactly when the family computes in float32 (AdamW and 8-bit AdamW with fp32 gradients; GaLoreAdafactor
    /// always, because it upcasts the gradient before projecting).
    /// </summary>
    public override bool ProjectorKeepsSvdFactor(DType computeType) => computeType == DType.Float32;

    /// <summary><c>apollo_torch.random_projector.GradientProjector.get_orthogonal_matrix</c>: <c>matrix = data.float()</c>
    /// copies a 16-bit gradient although only its shape is used (4 B per element), then
    /// <c>stable_randn(shape) / sqrt(rank)</c> holds two float32 projector-sized tensors at once; the cast to the
    /// gradient's dtype (held while the float32 one is alive) is smaller than that.</summary>
    public override long GaussianRefreshBytes(in UpdateShape u)
    {
        if (u.GaLore is not { } g) return 0;
        long upcast = u.GradBytes == 4 ? 0 : 4 * u.Elements;
        return upcast + 2 * 4 * g.ProjectorElements;
    }
}

/// <summary>
/// This project's kernels (<c>src/Kernels</c>): updates are applied in place, one parameter at a time, so no full-size
/// update tensor exists; the norm is a fused autograd function; K/V heads are repeated for grouped-query attention
/// because the CPU attention kernel needs equal head counts; mixture-of-experts blocks run transformers 5.x's eager
/// per-expert loop (<c>src/Profiler/Model/Parts/SparseMoe.cs</c>). Every family's transients are its
/// <see cref="OptimizerModel.TorchSharpUpdateBytes"/>.
/// </summary>
sealed class TorchSharpKernelsProfile : RuntimeProfile
{
    public override string Name => "torchsharp";
    public override string Description => "this project's TorchSharp model and GaLore kernels";
    public override GraphFlavor Flavor { get; } = new(NormStyle.SavesInputAndRstd, RepeatKvForGqa: true, UpcastLogits: true, EagerExperts: true);
    public override long UpdateTransientBytes(in UpdateShape u) => u.Model.TorchSharpUpdateBytes(u);
    public override bool StepsAllAtOnce(OptimizerSetup setup) => false;
    public override bool PagesStates => false;
    public override long FourBitDequantScratchBytes => KernelBudget.DequantChunkElements * KernelBudget.DequantChunkBytesPerElement;

    /// <summary>This project's projector copies the r singular vectors into its own buffer
    /// (<c>src/Kernels/Projection/GaLoreProjector.cs</c>, <c>Recompute</c>), whatever the dtype.</summary>
    public override bool ProjectorKeepsSvdFactor(DType computeType) => false;

    /// <summary>This project's projector (<c>src/Kernels/Projection/GaLoreProjector.cs</c>, Gaussian refresh): the float32
    /// draw (scaled in place) and the new buffer in the projector's dtype it is copied into, which exists before the old one
    /// is dropped.</summary>
    public override long GaussianRefreshBytes(in UpdateShape u)
    {
        if (u.GaLore is not { } g) return 0;
        return 4 * g.ProjectorElements + g.ProjectorElements * u.StateBytes;
    }
}
