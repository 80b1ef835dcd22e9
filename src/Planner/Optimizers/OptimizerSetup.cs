using GaLore.Planner.Models;

namespace GaLore.Planner.Optimizers;

/// <summary>
/// Everything about the optimizer that decides memory: the Hugging Face name, GaLore's knobs, which modules GaLore
/// projects, and the family's own <c>optim_args</c> knobs (Adafactor's β1, for one: a first moment exists only when it is
/// set; HF's <c>galore_adafactor</c> leaves it unset).
/// </summary>
/// <param name="Spec">The decoded name.</param>
/// <param name="GaLore">rank, update_proj_gap, scale, proj_type (read by GaLore names only).</param>
/// <param name="Targets">optim_target_modules.</param>
/// <param name="Args">The family's knobs from optim_args (null: none given).</param>
public sealed record OptimizerSetup(OptimizerSpec Spec, GaLoreSettings GaLore, TargetModules Targets, OptimizerArgs? Args = null)
{
    /// <summary>The family's knob values (never null).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public OptimizerArgs Knobs => Args ?? OptimizerArgs.None;

    /// <summary>Builds a setup from a name and Hugging Face's defaults.</summary>
    public static OptimizerSetup FromName(string name, GaLoreSettings? galore = null, TargetModules? targets = null)
    {
        var spec = OptimizerSpec.Parse(name);
        return new(spec, galore ?? spec.ProjectionDefaults, targets ?? TargetModules.Default);
    }

    /// <summary>Builds a setup from a name and an HF <c>optim_args</c> string.</summary>
    public static OptimizerSetup FromOptimArgs(string name, string? optimArgs, TargetModules? targets = null)
    {
        var spec = OptimizerSpec.Parse(name);
        var parsed = OptimArgs.Parse(optimArgs, spec);
        return new(spec, parsed.Settings, targets ?? TargetModules.Default, parsed.Args);
    }

    /// <summary>As HF's <c>optim_args</c> string: GaLore's four keys (for GaLore names) and the given family knobs.</summary>
    public string OptimArgsText()
    {
        var parts = new List<string>();
        if (Spec.GaLore)
            parts.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"rank={GaLore.Rank},update_proj_gap={GaLore.UpdateProjGap},scale={GaLore.Scale:R},proj_type={GaLore.ProjType.Name()}"));
        string knobs = Knobs.ToString();
        if (knobs.Length > 0) parts.Add(knobs);
        return string.Join(",", parts);
    }

    /// <summary>
    /// Marks which parameters GaLore (or APOLLO) projects: 2-D weights of <c>nn.Linear</c> modules whose name the
    /// target selection matches (HF's <c>_setup_low_rank_optimizer</c>). Everything else uses the base optimizer.
    /// Throws when the family rejects the setup (<see cref="OptimizerModel.Check"/>), when projection is on and nothing
    /// matches, or when the rank exceeds a selected weight's smaller side — except for a mixture-of-experts router or gate
    /// Linear (<see cref="TensorKind.RouterProjection"/>: E × h, Qwen2-MoE's 1 × h <c>shared_expert_gate</c>), which
    /// galore_torch projects at its full rank min(m, n) (its SVD has no more vectors and <c>U[:, :rank]</c> keeps what there
    /// is) and whose size no rank is chosen for.
    /// </summary>
    public bool[] SelectGaLore(IReadOnlyList<ParameterTensor> tensors)
    {
        Spec.Model.Check(this);
        var mask = new bool[tensors.Count];
        if (!Spec.GaLore) return mask;
        bool any = false;
        string? conv1D = null;
        for (int k = 0; k < tensors.Count; k++)
        {
            var t = tensors[k];
            if (t.TiedLinearModule is { } tied && Targets.Matches(tied)) any = true; // matched, but listed under the embedding's name
            if (t.Kind == TensorKind.Conv1D && Targets.Matches(t.Module)) conv1D ??= t.Module;
            if (!t.IsLinearWeight || !t.Name.EndsWith(".weight", StringComparison.Ordinal) || !Targets.Matches(t.Module)) continue;
            long smaller = Math.Min(t.Rows, t.Cols);
            if (GaLore.Rank > smaller && t.Kind != TensorKind.RouterProjection)
                throw new PlannerInputException(
                    $"rank {GaLore.Rank} is larger than {t.Name}'s smaller dimension ({t.Rows}×{t.Cols}); use --rank {smaller} or less");
            mask[k] = any = true;
        }
        if (!any && conv1D is not null)
            throw new PlannerInputException(
                $"target modules '{Targets}' match only Conv1D modules (e.g. {conv1D}), not nn.Linear: Hugging Face's GaLore takes nn.Linear weights only and raises 'No target modules found'");
        if (!any)
            throw new PlannerInputException($"target modules '{Targets}' match no Linear module of the model (HF raises the same)");
        return mask;
    }
}
