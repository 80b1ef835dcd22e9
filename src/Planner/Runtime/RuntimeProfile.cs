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
    public abstract bool StepsAllAtOnce(OptimizerSpec spec);

    /// <summary>Bytes a 4-bit base weight's dequantization needs beside the dequantized weight (and the nested absmax):
    /// none for bitsandbytes' kernels, which write the weight directly; a constant for this project's chunked one.</summary>
    public virtual long FourBitDequantScratchBytes => 0;

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
/// The stack users run: PyTorch, <c>transformers</c> models with SDPA and <c>ForCausalLMLoss</c>, and the optimizer
/// libraries Hugging Face hands each name to; every family's transients are its <see cref="OptimizerModel.PyTorchUpdateBytes"/>.
/// </summary>
sealed class PyTorchReferenceProfile : RuntimeProfile
{
    public override string Name => "pytorch";
    public override string Description => "PyTorch + transformers (SDPA) + galore-torch + bitsandbytes";
    public override GraphFlavor Flavor { get; } = new(NormStyle.HfUpcast, RepeatKvForGqa: true, UpcastLogits: true);
    public override long UpdateTransientBytes(in UpdateShape u) => u.Model.PyTorchUpdateBytes(u);
    public override bool StepsAllAtOnce(OptimizerSpec spec) => spec.Model.PyTorchStepsAllAtOnce(spec);
}

/// <summary>
/// This project's kernels (<c>src/Kernels</c>): updates are applied in place, one parameter at a time, so no full-size
/// update tensor exists; the norm is a fused autograd function; K/V heads are repeated for grouped-query attention
/// because the CPU attention kernel needs equal head counts. Every family's transients are its
/// <see cref="OptimizerModel.TorchSharpUpdateBytes"/>.
/// </summary>
sealed class TorchSharpKernelsProfile : RuntimeProfile
{
    public override string Name => "torchsharp";
    public override string Description => "this project's TorchSharp model and GaLore kernels";
    public override GraphFlavor Flavor { get; } = new(NormStyle.SavesInputAndRstd, RepeatKvForGqa: true, UpcastLogits: true);
    public override long UpdateTransientBytes(in UpdateShape u) => u.Model.TorchSharpUpdateBytes(u);
    public override bool StepsAllAtOnce(OptimizerSpec spec) => false;
    public override long FourBitDequantScratchBytes => KernelBudget.DequantChunkElements * KernelBudget.DequantChunkBytesPerElement;
}
