using GaLore.Kernels.Optimizers;
using GaLore.Planner.Optimizers;
using Parameter = TorchSharp.Modules.Parameter;

namespace GaLore.Kernels.Tests.Kernels;

/// <summary>Builds each of the six optimizer classes over one parameter, projected or not, for table-driven tests.</summary>
internal static class OptimizerFactory
{
    public static readonly string[] Classes = ["AdamW", "AdamW8bit", "Adafactor", "GaLoreAdamW", "GaLoreAdamW8bit", "GaLoreAdafactor"];

    public static bool IsGaLore(string cls) => cls.StartsWith("GaLore", StringComparison.Ordinal);

    /// <summary>The planner's name for the class (GaLoreAdamW8bit → galore_adamw_8bit).</summary>
    public static OptimizerSpec Spec(string cls) => OptimizerSpec.Parse(
        (IsGaLore(cls) ? "galore_" : "") + cls.Replace("GaLore", "") switch
        {
            "AdamW" => "adamw",
            "AdamW8bit" => "adamw_8bit",
            "Adafactor" => "adafactor",
            var other => throw new ArgumentException(other),
        });

    /// <summary>Whether the class is an Adafactor.</summary>
    public static bool IsAdafactor(string cls) => cls.EndsWith("Adafactor", StringComparison.Ordinal);

    /// <summary>Whether the class keeps 8-bit states.</summary>
    public static bool Is8Bit(string cls) => cls.EndsWith("8bit", StringComparison.Ordinal);

    /// <summary>The optimizer; with <paramref name="settings"/> the parameters are one GaLore group.</summary>
    public static ProjectedOptimizer Create(string cls, IReadOnlyList<Parameter> parameters, GaLoreSettings? settings = null,
        double lr = 1e-2, double? beta1 = null, double weightDecay = 0)
    {
        var none = Array.Empty<Parameter>();
        var projected = settings is null ? none : parameters;
        var regular = settings is null ? parameters : none;
        return cls switch
        {
            "AdamW" => new AdamW(parameters, lr, weight_decay: weightDecay),
            "AdamW8bit" => new AdamW8bit(parameters, lr, weight_decay: weightDecay),
            "Adafactor" => new Adafactor(parameters, lr, beta1: beta1, weight_decay: weightDecay),
            "GaLoreAdamW" => new GaLoreAdamW(regular, projected, settings ?? GaLoreSettings.Default, lr, weight_decay: weightDecay),
            "GaLoreAdamW8bit" => new GaLoreAdamW8bit(regular, projected, settings ?? GaLoreSettings.Default, lr, weight_decay: weightDecay),
            "GaLoreAdafactor" => new GaLoreAdafactor(regular, projected, settings ?? GaLoreSettings.Default, lr, beta1: beta1, weight_decay: weightDecay),
            _ => throw new ArgumentException(cls),
        };
    }
}
