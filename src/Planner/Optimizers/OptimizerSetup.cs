using GaLore.Planner.Models;

namespace GaLore.Planner.Optimizers;

/// <summary>
/// Everything about the optimizer that decides memory: the Hugging Face name, GaLore's knobs,
/// which modules GaLore projects, and Adafactor's β1 (a first moment exists only when it is set;
/// HF's <c>galore_adafactor</c> leaves it unset).
/// </summary>
public sealed record OptimizerSetup(OptimizerSpec Spec, GaLoreSettings GaLore, TargetModules Targets, double? AdafactorBeta1 = null)
{
    /// <summary>Builds a setup from a name and Hugging Face's defaults.</summary>
    public static OptimizerSetup FromName(string name, GaLoreSettings? galore = null, TargetModules? targets = null) =>
        new(OptimizerSpec.Parse(name), galore ?? GaLoreSettings.Default, targets ?? TargetModules.Default);

    /// <summary>
    /// Marks which parameters GaLore projects: 2-D weights of <c>nn.Linear</c> modules whose name the
    /// target selection matches (HF's <c>_get_galore_optimizer</c>). Everything else uses the base optimizer.
    /// Throws when GaLore is on and nothing matches, or when the rank exceeds a selected weight's smaller side.
    /// </summary>
    public bool[] SelectGaLore(IReadOnlyList<ParameterTensor> tensors)
    {
        var mask = new bool[tensors.Count];
        if (!Spec.GaLore) return mask;
        bool any = false;
        for (int k = 0; k < tensors.Count; k++)
        {
            var t = tensors[k];
            if (!t.IsLinearWeight || !t.Name.EndsWith(".weight", StringComparison.Ordinal) || !Targets.Matches(t.Module)) continue;
            long smaller = Math.Min(t.Rows, t.Cols);
            if (GaLore.Rank > smaller)
                throw new PlannerInputException(
                    $"rank {GaLore.Rank} is larger than {t.Name}'s smaller dimension ({t.Rows}×{t.Cols}); use --rank {smaller} or less");
            mask[k] = any = true;
        }
        if (!any)
            throw new PlannerInputException($"target modules '{Targets}' match no Linear module of the model (HF raises the same)");
        return mask;
    }
}
