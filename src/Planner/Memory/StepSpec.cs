using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Parallel;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Memory;

/// <summary>Everything about a training step except the batch shape.</summary>
/// <param name="Model">The decoder.</param>
/// <param name="Optimizer">Optimizer name, GaLore knobs and targets.</param>
/// <param name="Precision">Storage and compute precision.</param>
/// <param name="Checkpointing">Activation checkpointing of every decoder block.</param>
/// <param name="Attention">Fused (SDPA) or eager attention.</param>
/// <param name="Runtime">Which implementation stack.</param>
/// <param name="RefreshStep">Whether the step refreshes GaLore's projectors (an SVD per projected weight);
/// a run's peak includes such steps, so this is on by default.</param>
public sealed record StepSpec(
    ModelConfig Model,
    OptimizerSetup Optimizer,
    Precision Precision,
    bool Checkpointing = false,
    AttentionKind Attention = AttentionKind.Sdpa,
    RuntimeProfile? Runtime = null,
    bool RefreshStep = true)
{
    /// <summary>The runtime, defaulting to the PyTorch reference stack.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public RuntimeProfile Stack => Runtime ?? RuntimeProfile.PyTorchReference;

    /// <summary>GPUs, the engine that spreads the model over them, CPU offload and gradient accumulation; sizes of the
    /// compiled step are per GPU. Default: one GPU, one micro-batch (<see cref="Parallelism.Single"/>).</summary>
    public Parallelism Parallel { get; init; } = Parallelism.Single;
    /// <summary>peft adapter fine-tuning on a frozen (optionally quantized) base; null (default): full-parameter training.</summary>
    public Adapters.AdapterSetup? Adapters { get; init; }
}
