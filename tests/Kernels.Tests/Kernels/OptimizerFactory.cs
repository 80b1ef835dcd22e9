using GaLore.Kernels.Optimizers;
using GaLore.Planner.Optimizers;
using Parameter = TorchSharp.Modules.Parameter;

namespace GaLore.Kernels.Tests.Kernels;

/// <summary>Builds each of the six optimizer classes over one parameter, projected or not, for table-driven tests.</summary>
internal static class OptimizerFactory
{
    public static readonly string[] Classes = ["AdamW", "AdamW8bit", "Adafactor", "GaLoreAdamW", "GaLoreAdamW8bit", "GaLoreAdafactor"];

    public static bool IsGaLore(string cls) => cls.StartsWith("GaLore", StringComparison.Ordinal);

    public static BaseOptimizer Base(string cls) => cls.Replace("GaLore", "") switch
    {
        "AdamW" => BaseOptimizer.AdamW,
        "AdamW8bit" => BaseOptimizer.AdamW8bit,
        _ => BaseOptimizer.Adafactor,
    };

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
