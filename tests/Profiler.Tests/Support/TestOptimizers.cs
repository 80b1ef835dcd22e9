using GaLore.Profiler.Measurement;
using GaLore.Profiler.Model;
using GaLore.Profiler.Training;

namespace GaLore.Profiler.Tests.Support;

/// <summary>The optimizer factory the test workers use: <c>sgd</c> or <c>adamw</c> (plain, see <see cref="PlainAdamW"/>).</summary>
public static class TestOptimizers
{
    public static ITrainingOptimizer Create(LlamaModel model, ProfileRequest request)
    {
        double lr = request.OptimizerArgs.TryGetValue("lr", out var text) ? double.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : 1e-3;
        return request.Optimizer switch
        {
            "sgd" => new PlainSgd(model.NamedParameters, lr),
            "adamw" => new PlainAdamW(model.NamedParameters, lr),
            _ => throw new ArgumentException($"test worker knows only sgd and adamw, not '{request.Optimizer}'"),
        };
    }
}
