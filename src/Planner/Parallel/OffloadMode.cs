namespace GaLore.Planner.Parallel;

/// <summary>What an engine moves from the GPUs to host memory.</summary>
public enum OffloadMode
{
    /// <summary>Everything stays on the GPUs.</summary>
    None,
    /// <summary>Optimizer states, fp32 master weights and the gradients the step reads live on the host, and the optimizer
    /// step runs there (DeepSpeed <c>offload_optimizer: {device: cpu}</c>, ZeRO-Offload, Ren et al. 2021, arXiv 2101.06840).</summary>
    Optimizer,
    /// <summary>Also the parameter partitions (DeepSpeed ZeRO-3 <c>offload_param</c>, ZeRO-Infinity's CPU mode; PyTorch FSDP2
    /// <c>CPUOffloadPolicy</c>, which moves sharded parameters, gradients and optimizer states together).</summary>
    OptimizerAndParams,
}

/// <summary>Names of <see cref="OffloadMode"/> as the command line spells them.</summary>
public static class OffloadModes
{
    /// <summary><c>none</c>, <c>optimizer</c> or <c>optimizer+params</c>.</summary>
    public static string Name(this OffloadMode mode) => mode switch
    {
        OffloadMode.None => "none",
        OffloadMode.Optimizer => "optimizer",
        OffloadMode.OptimizerAndParams => "optimizer+params",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown offload mode"),
    };

    /// <summary>Parses <c>none</c>, <c>optimizer</c> (<c>cpu</c>) or <c>optimizer+params</c> (<c>params</c>, <c>all</c>).</summary>
    public static OffloadMode Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "none" or "off" => OffloadMode.None,
        "optimizer" or "cpu" => OffloadMode.Optimizer,
        "optimizer+params" or "params" or "all" => OffloadMode.OptimizerAndParams,
        _ => throw new PlannerInputException($"unknown offload '{text}': use none, optimizer or optimizer+params"),
    };
}
