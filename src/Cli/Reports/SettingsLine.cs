using GaLore.Planner.Capacity;
using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Optimizers;

namespace GaLore.Cli.Reports;

/// <summary>
/// The settings that change a chart's answer, in one short line for its title — precision, checkpointing, attention,
/// runtime, the GaLore projection and targets, a step without refresh — so a chart that travels alone still says what it
/// shows. Every setting is written, defaults included: a title that leaves one out invites the reader to assume it.
/// </summary>
public static class SettingsLine
{
    /// <summary>For a step (sweeps, timelines).</summary>
    public static string Of(StepSpec s) =>
        Join(s.Precision, s.Checkpointing, s.Attention.Name(), s.Stack.Name, s.RefreshStep,
            s.Optimizer.Spec.GaLore ? s.Optimizer.GaLore.ProjType : null, s.Optimizer.Spec.GaLore ? s.Optimizer.Targets : null);

    /// <summary>For a capacity report's settings (<paramref name="galore"/>: whether the chart shows GaLore optimizers).</summary>
    public static string Of(CapacitySettings s, bool galore) =>
        Join(s.Precision, s.Checkpointing, s.Attention.Name(), s.Stack.Name, s.RefreshStep,
            galore ? s.GaLore.ProjType : null, galore ? s.Targets : null);

    static string Join(Precision precision, bool checkpointing, string attention, string runtime, bool refresh, ProjectionType? proj, TargetModules? targets)
    {
        var parts = new List<string> { precision.Name, checkpointing ? "checkpointing" : "no checkpointing", attention, runtime };
        if (proj is { } p) parts.Add($"proj {p.Name()}");
        if (targets is not null) parts.Add($"targets {targets}");
        if (!refresh) parts.Add("no refresh");
        return string.Join(" · ", parts);
    }
}
