using TorchSharp.Modules;

namespace GaLore.Kernels.Optimizers;

/// <summary>Adafactor's hyperparameters (Shazeer &amp; Stern 2018, arXiv 1804.04235; <c>transformers.Adafactor</c>).</summary>
public sealed class AdafactorOptions : OptimizerOptionsBase
{
    /// <summary>ε1, added to the squared gradient (regularizes the second moment).</summary>
    public double? eps1;

    /// <summary>ε2, floor of the parameter scale when <see cref="scale_parameter"/> is on.</summary>
    public double? eps2;

    /// <summary>d, the update's RMS is clipped to at most this.</summary>
    public double? clip_threshold;

    /// <summary>c in β2(t) = 1 − t^c, the second moment's decay schedule (negative).</summary>
    public double? decay_rate;

    /// <summary>β1 of the optional first moment; <see cref="double.NaN"/> means none (the default).</summary>
    public double? beta1;

    /// <summary>Multiply the learning rate by max(ε2, RMS(W)).</summary>
    public bool? scale_parameter;

    /// <summary>Whether a first moment is kept.</summary>
    internal bool HasFirstMoment => beta1 is { } b && !double.IsNaN(b);

    internal override void FillFrom(OptimizerOptionsBase defaults)
    {
        base.FillFrom(defaults);
        var d = (AdafactorOptions)defaults;
        eps1 ??= d.eps1;
        eps2 ??= d.eps2;
        clip_threshold ??= d.clip_threshold;
        decay_rate ??= d.decay_rate;
        beta1 ??= d.beta1;
        scale_parameter ??= d.scale_parameter;
    }

    internal override void Validate()
    {
        base.Validate();
        if (eps1 is not { } e1 || !double.IsFinite(e1) || e1 < 0) throw new ArgumentException($"Invalid eps1: {eps1}");
        if (eps2 is not { } e2 || !double.IsFinite(e2) || e2 < 0) throw new ArgumentException($"Invalid eps2: {eps2}");
        if (clip_threshold is not { } c || !(c > 0)) throw new ArgumentException($"Invalid clip_threshold: {clip_threshold} (must be > 0)");
        if (decay_rate is not { } d || !(d < 0)) throw new ArgumentException($"Invalid decay_rate: {decay_rate} (must be < 0)");
        if (HasFirstMoment && (beta1 < 0 || beta1 >= 1)) throw new ArgumentException($"Invalid beta1: {beta1} (must be in [0, 1) or unset)");
        if (scale_parameter is null) throw new ArgumentException("scale_parameter must be set");
    }

    /// <inheritdoc/>
    public override void SaveStateDict(BinaryWriter writer)
    {
        base.SaveStateDict(writer);
        writer.Write(eps1!.Value);
        writer.Write(eps2!.Value);
        writer.Write(clip_threshold!.Value);
        writer.Write(decay_rate!.Value);
        writer.Write(beta1 ?? double.NaN);
        writer.Write(scale_parameter!.Value);
    }

    /// <inheritdoc/>
    public override void LoadStateDict(BinaryReader reader)
    {
        base.LoadStateDict(reader);
        eps1 = reader.ReadDouble();
        eps2 = reader.ReadDouble();
        clip_threshold = reader.ReadDouble();
        decay_rate = reader.ReadDouble();
        beta1 = reader.ReadDouble();
        scale_parameter = reader.ReadBoolean();
    }

    /// <inheritdoc/>
    public override void LoadStateDict(OptimizerOptions source)
    {
        base.LoadStateDict(source);
        var s = (AdafactorOptions)source;
        (eps1, eps2, clip_threshold, decay_rate, beta1, scale_parameter) = (s.eps1, s.eps2, s.clip_threshold, s.decay_rate, s.beta1, s.scale_parameter);
    }
}
