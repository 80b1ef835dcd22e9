using GaLore.Kernels.Projection;
using GaLore.Planner.Optimizers;
using TorchSharp.Modules;

namespace GaLore.Kernels.Optimizers;

/// <summary>
/// Hyperparameters shared by every optimizer here, per parameter group (TorchSharp's <c>OptimizerOptions</c>
/// pattern: a null field means "take the optimizer's default").
/// A group with <see cref="galore"/> set is a GaLore group: its 2-D weights are projected; every other group
/// runs the base optimizer unchanged (Hugging Face's <c>_get_galore_optimizer</c> builds exactly these two groups).
/// GaLore settings are structural, like the parameters themselves: they are fixed when the group is added and are
/// not part of the saved options.
/// </summary>
public abstract class OptimizerOptionsBase : OptimizerOptions
{
    /// <summary>Decoupled weight decay (Loshchilov &amp; Hutter 2019, arXiv 1711.05101): W ← W·(1 − lr·wd) before the update.</summary>
    public double? weight_decay;

    /// <summary>GaLore's rank, update_proj_gap, scale and proj_type; null for a group that is not projected.</summary>
    public GaLoreSettings? galore;

    /// <summary>How projectors of this group refresh (default: SVD, as the reference).</summary>
    public SubspaceRefresh? refresh;

    /// <summary>Fills unset fields from <paramref name="defaults"/> (never overrides <see cref="galore"/>).</summary>
    internal virtual void FillFrom(OptimizerOptionsBase defaults)
    {
        LearningRate ??= defaults.LearningRate;
        weight_decay ??= defaults.weight_decay;
        refresh ??= defaults.refresh ?? SubspaceRefresh.Svd;
        InitialLearningRate = LearningRate ?? 0;
    }

    /// <summary>Throws <see cref="ArgumentException"/> for values no optimizer accepts.</summary>
    internal virtual void Validate()
    {
        if (LearningRate is not { } lr || !double.IsFinite(lr) || lr < 0) throw new ArgumentException($"Invalid learning rate: {LearningRate}");
        if (weight_decay is not { } wd || !double.IsFinite(wd) || wd < 0) throw new ArgumentException($"Invalid weight_decay: {weight_decay}");
        try { galore?.Validate(); refresh?.Validate(); }
        catch (Exception e) when (e is not ArgumentException) { throw new ArgumentException(e.Message, e); }
    }

    /// <inheritdoc/>
    public override void SaveStateDict(BinaryWriter writer)
    {
        base.SaveStateDict(writer);
        writer.Write(weight_decay!.Value);
    }

    /// <inheritdoc/>
    public override void LoadStateDict(BinaryReader reader)
    {
        base.LoadStateDict(reader);
        weight_decay = reader.ReadDouble();
    }

    /// <inheritdoc/>
    public override void LoadStateDict(OptimizerOptions source)
    {
        base.LoadStateDict(source);
        weight_decay = ((OptimizerOptionsBase)source).weight_decay;
    }
}
