using GaLore.Planner.Devices;
using GaLore.Planner.Fit;
using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Parallel;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Capacity;

/// <summary>
/// What every row of a capacity report shares: precision, sequence length, GaLore's knobs (Hugging Face's
/// defaults unless given: rank 128, proj_type std, targets attn,mlp), checkpointing, attention, runtime, and
/// what else occupies the card. Only the GPU, model and optimizer vary.
/// </summary>
/// <param name="Precision">Storage and compute precision (default bf16, the paper's setting).</param>
/// <param name="Seq">Sequence length of the batch-1 verdict and the max-batch search (default 256, the paper's pre-training length).</param>
/// <param name="GaLore">GaLore knobs for the GaLore optimizers.</param>
/// <param name="Targets">Modules GaLore projects.</param>
/// <param name="Checkpointing">Activation checkpointing of every decoder block.</param>
/// <param name="Attention">Fused (sdpa) or eager attention.</param>
/// <param name="Runtime">Implementation stack.</param>
/// <param name="RefreshStep">Whether the step includes a projector refresh (the SVD's workspace); on, as a run's peak includes one.</param>
/// <param name="ContextBytes">CUDA context outside the allocator (default 0.44 GiB, <see cref="DeviceProfile.DefaultContextBytes"/>).</param>
/// <param name="ReserveBytes">Memory kept free for other processes.</param>
public sealed record CapacitySettings(
    Precision Precision,
    int Seq,
    GaLoreSettings GaLore,
    TargetModules Targets,
    bool Checkpointing = false,
    AttentionKind Attention = AttentionKind.Sdpa,
    RuntimeProfile? Runtime = null,
    bool RefreshStep = true,
    long ContextBytes = DeviceProfile.DefaultContextBytes,
    long ReserveBytes = 0)
{
    /// <summary>The default report: bf16, seq 256, Hugging Face's GaLore defaults, PyTorch stack.</summary>
    public static CapacitySettings Default => new(new Precision(PrecisionMode.Bf16), 256, GaLoreSettings.Default, TargetModules.Default);

    /// <summary>The runtime, defaulting to the PyTorch reference stack (as <see cref="StepSpec.Stack"/> does).</summary>
    public RuntimeProfile Stack => Runtime ?? RuntimeProfile.PyTorchReference;

    /// <summary>GPUs, engine, offload and accumulation every row assumes (sizes are then per GPU); default one GPU.</summary>
    public Parallelism Parallel { get; init; } = Parallelism.Single;

    /// <summary>The step of one row (<paramref name="entry"/>: an optimizer name, maybe with adapters, <see cref="CapacityEntry"/>);
    /// <paramref name="rank"/> overrides the GaLore rank.</summary>
    public StepSpec Step(ModelConfig model, string entry, int? rank = null) => Step(model, CapacityEntry.Parse(entry), rank);

    /// <summary>The step of one row for a parsed entry.</summary>
    public StepSpec Step(ModelConfig model, CapacityEntry e, int? rank = null)
    {
        return new StepSpec(model, new OptimizerSetup(e.Spec, rank is { } r ? GaLore with { Rank = r } : GaLore, Targets),
            Precision, Checkpointing, Attention, Stack, RefreshStep) { Parallel = Parallel, Adapters = e.Adapters };
    }

    /// <summary>A fit query for the step on a card at the given batch shape.</summary>
    public FitQuery Query(StepSpec step, GpuSpec gpu, int batch, int seq) => new(step, batch, seq, gpu, ContextBytes, ReserveBytes);

    /// <summary>Bytes a run may use on the card.</summary>
    public long UsableBytes(GpuSpec gpu) => gpu.CapacityBytes - ReserveBytes;
}
