using TorchSharp.Modules;

namespace GaLore.Kernels.Optimizers;

/// <summary>
/// Options whose hyperparameters are all numbers (flags as 0/1): each subclass lists its fields once in
/// <see cref="Read"/>/<see cref="Write"/>, and filling from the defaults, saving and loading follow from that list.
/// </summary>
public abstract class ScalarOptions : OptimizerOptionsBase
{
    /// <summary>The hyperparameters in a fixed order (null: take the default).</summary>
    private protected abstract double?[] Read();

    /// <summary>Sets the hyperparameters from <see cref="Read"/>'s order.</summary>
    private protected abstract void Write(double?[] values);

    internal override void FillFrom(OptimizerOptionsBase defaults)
    {
        base.FillFrom(defaults);
        var mine = Read();
        var theirs = ((ScalarOptions)defaults).Read();
        for (int k = 0; k < mine.Length; k++) mine[k] ??= theirs[k];
        Write(mine);
    }

    /// <summary>Throws unless every hyperparameter is set and finite.</summary>
    internal override void Validate()
    {
        base.Validate();
        foreach (var v in Read())
            if (v is not { } x || double.IsInfinity(x)) throw new ArgumentException($"{GetType().Name}: a hyperparameter is unset or infinite");
    }

    /// <summary>Throws unless <paramref name="value"/> lies in [<paramref name="min"/>, <paramref name="max"/>).</summary>
    private protected static void Range(string name, double? value, double min, double max)
    {
        if (value is not { } v || v < min || v >= max) throw new ArgumentException($"Invalid {name}: {value} (must be in [{min}, {max}))");
    }

    /// <inheritdoc/>
    public override void SaveStateDict(BinaryWriter writer)
    {
        base.SaveStateDict(writer);
        foreach (var v in Read()) writer.Write(v!.Value);
    }

    /// <inheritdoc/>
    public override void LoadStateDict(BinaryReader reader)
    {
        base.LoadStateDict(reader);
        var values = Read();
        for (int k = 0; k < values.Length; k++) values[k] = reader.ReadDouble();
        Write(values);
    }

    /// <inheritdoc/>
    public override void LoadStateDict(OptimizerOptions source)
    {
        base.LoadStateDict(source);
        Write(((ScalarOptions)source).Read());
    }
}
