using GaLore.Profiler.Measurement;
using GaLore.Profiler.Model;
using GaLore.Profiler.Training;

namespace GaLore.Profiler.Tests.Support;

/// <summary>The optimizer factory the test workers use: a plain AdamW (see <see cref="PlainAdamW"/>) for the step's
/// <c>adamw</c>; anything else is refused.</summary>
public static class TestOptimizers
{
    public static ITrainingOptimizer Create(CausalLm model, ProfileRequest request) => request.Step.Optimizer.Spec.Name switch
    {
        "adamw" => new PlainAdamW(model.NamedParameters, request.LearningRate),
        var other => throw new ArgumentException($"test worker knows only adamw, not '{other}'"),
    };
}
