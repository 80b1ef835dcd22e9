using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Runtime;
using GaLore.Profiler.Measurement;

namespace GaLore.Profiler.Tests.Support;

/// <summary>Profile requests for the test workers (whose optimizer factory is <see cref="TestOptimizers"/>).</summary>
public static class TestRequests
{
    /// <summary>A step of <paramref name="model"/> on this project's kernels.</summary>
    public static StepSpec Step(ModelConfig model, string optimizer = "adamw", string precision = "fp32", bool checkpointing = false) =>
        new(model, OptimizerSetup.FromName(optimizer), Precision.Parse(precision), checkpointing, Runtime: RuntimeProfile.TorchSharpKernels);

    /// <summary>A request for <paramref name="model"/> (default: the tiny preset).</summary>
    public static ProfileRequest For(ModelConfig? model = null, string optimizer = "adamw", string precision = "fp32", bool checkpointing = false) =>
        new() { Step = Step(model ?? ModelPresets.Find("tiny")!, optimizer, precision, checkpointing) };
}
