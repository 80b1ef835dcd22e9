using GaLore.Kernels.Projection;
using GaLore.Planner.Optimizers;
using TorchSharp.Modules;

namespace GaLore.Kernels.Optimizers;

/// <summary>Builds the two parameter groups Hugging Face hands a GaLore optimizer: the regular parameters, and the
/// selected 2-D weights with GaLore's settings (<c>Trainer._get_galore_optimizer</c>).</summary>
public static class GaLoreGroups
{
    /// <summary>One group of parameters with the optimizer's defaults.</summary>
    public static ParamGroup<TOptions> Regular<TOptions>(IEnumerable<Parameter> parameters) where TOptions : OptimizerOptionsBase, new() =>
        new(parameters.ToList(), new TOptions());

    /// <summary>One GaLore group: the weights in it are projected with <paramref name="settings"/>.</summary>
    public static ParamGroup<TOptions> Projected<TOptions>(IEnumerable<Parameter> parameters, GaLoreSettings settings, SubspaceRefresh? refresh = null)
        where TOptions : OptimizerOptionsBase, new() =>
        new(parameters.ToList(), new TOptions { galore = settings, refresh = refresh });

    /// <summary>The regular group (when not empty) followed by the GaLore group (when not empty).</summary>
    public static IEnumerable<ParamGroup<TOptions>> Split<TOptions>(IEnumerable<Parameter> regular, IEnumerable<Parameter> projected,
        GaLoreSettings settings, SubspaceRefresh? refresh = null) where TOptions : OptimizerOptionsBase, new()
    {
        var r = regular.ToList();
        var p = projected.ToList();
        if (r.Count > 0) yield return Regular<TOptions>(r);
        if (p.Count > 0) yield return Projected<TOptions>(p, settings, refresh);
    }
}
