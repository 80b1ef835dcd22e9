using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;

namespace GaLore.Profiler.Model;

/// <summary>How a <see cref="CausalLm"/> is built and run (everything that is not its shape).</summary>
public sealed record ModelOptions
{
    /// <summary>Storage and compute precision (default fp32).</summary>
    public Precision Precision { get; init; } = new(PrecisionMode.Fp32);

    /// <summary>Fused <c>scaled_dot_product_attention</c> (default) or eager math attention.</summary>
    public AttentionKind Attention { get; init; } = AttentionKind.Sdpa;

    /// <summary>Activation checkpointing of every decoder block (Chen et al. 2016, arXiv 1604.06174).</summary>
    public bool Checkpointing { get; init; }

    /// <summary>Seed of the parameter initialisation.</summary>
    public long Seed { get; init; } = 1234;

    /// <summary>Standard deviation of the normal initialisation of matrices (HF's <c>initializer_range</c>, 0.02).</summary>
    public double InitStd { get; init; } = 0.02;

    /// <summary>RMSNorm epsilon (Llama's <c>rms_norm_eps</c>, 1e-6).</summary>
    public double RmsNormEps { get; init; } = 1e-6;

    /// <summary>Rotary base θ (Su et al. 2021, arXiv 2104.09864; Llama's <c>rope_theta</c>, 10000).</summary>
    public double RopeTheta { get; init; } = 10000;

    /// <summary>TorchSharp device string: <c>cpu</c> (default), <c>cuda</c>, <c>cuda:1</c>.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>peft adapters on a frozen (optionally 4-bit) base; null (default): every parameter trains.</summary>
    public GaLore.Planner.Adapters.AdapterSetup? Adapters { get; init; }
}
