using TorchSharp.Modules;

namespace GaLore.Kernels.Optimizers;

/// <summary>AdamW's hyperparameters (Kingma &amp; Ba 2015, arXiv 1412.6980; Loshchilov &amp; Hutter 2019).</summary>
public sealed class AdamWOptions : OptimizerOptionsBase
{
    /// <summary>β1, the first moment's decay.</summary>
    public double? beta1;

    /// <summary>β2, the second moment's decay.</summary>
    public double? beta2;

    /// <summary>ε, added to the denominator.</summary>
    public double? eps;

    /// <summary>8-bit rules only: 32 keeps this group's states in float32, as Hugging Face's
    /// <c>GlobalOptimManager.register_module_override(module, "weight", {"optim_bits": 32})</c> does for embeddings
    /// (null: the rule's own width).</summary>
    public int? optim_bits;

    internal override void FillFrom(OptimizerOptionsBase defaults)
    {
        base.FillFrom(defaults);
        var d = (AdamWOptions)defaults;
        beta1 ??= d.beta1;
        beta2 ??= d.beta2;
        eps ??= d.eps;
        optim_bits ??= d.optim_bits;
    }

    internal override void Validate()
    {
        base.Validate();
        if (beta1 is not { } b1 || b1 < 0 || b1 >= 1) throw new ArgumentException($"Invalid beta1: {beta1} (must be in [0, 1))");
        if (beta2 is not { } b2 || b2 < 0 || b2 >= 1) throw new ArgumentException($"Invalid beta2: {beta2} (must be in [0, 1))");
        if (eps is not { } e || !double.IsFinite(e) || e < 0) throw new ArgumentException($"Invalid eps: {eps}");
    }

    /// <inheritdoc/>
    public override void SaveStateDict(BinaryWriter writer)
    {
        base.SaveStateDict(writer);
        writer.Write(beta1!.Value);
        writer.Write(beta2!.Value);
        writer.Write(eps!.Value);
        writer.Write(optim_bits ?? 0);
    }

    /// <inheritdoc/>
    public override void LoadStateDict(BinaryReader reader)
    {
        base.LoadStateDict(reader);
        beta1 = reader.ReadDouble();
        beta2 = reader.ReadDouble();
        eps = reader.ReadDouble();
        int bits = reader.ReadInt32();
        optim_bits = bits == 0 ? null : bits;
    }

    /// <inheritdoc/>
    public override void LoadStateDict(OptimizerOptions source)
    {
        base.LoadStateDict(source);
        var s = (AdamWOptions)source;
        (beta1, beta2, eps, optim_bits) = (s.beta1, s.beta2, s.eps, s.optim_bits);
    }
}
