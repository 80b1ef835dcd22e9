using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Planner.Models.Layout;

namespace GaLore.Planner.Adapters;

/// <summary>
/// A model's layout after peft has wrapped it (<see cref="AdapterTransform"/>): the parameters of the wrapped model in
/// <c>named_parameters()</c> order — adapted modules' base tensors renamed <c>…q_proj.base_layer.weight</c>, followed by
/// <c>…q_proj.lora_A.default.weight</c> (r × in), <c>…q_proj.lora_B.default.weight</c> (out × r) and, for DoRA,
/// <c>…q_proj.lora_magnitude_vector.default.weight</c> (out) (names as inside the <c>PeftModel</c>, without its
/// <c>base_model.model.</c> prefix) — which of them train, how each frozen one is stored, and what each part's graph needs
/// to know (<see cref="PartAdapters"/>).
/// </summary>
public sealed class AdaptedLayout
{
    readonly PartAdapters[] parts;
    readonly bool[] trainable;
    readonly BaseQuant[] quant;

    internal AdaptedLayout(AdapterSetup setup, ModelLayout layout, bool[] trainable, BaseQuant[] quant, PartAdapters[] parts)
    {
        Setup = setup;
        Layout = layout;
        this.trainable = trainable;
        this.quant = quant;
        this.parts = parts;
        Uses = layout.UsesPerParameter();
        for (int k = 0; k < layout.Parameters.Count; k++)
        {
            AllParameters += layout.Parameters[k].Elements;
            if (trainable[k]) TrainableParameters += layout.Parameters[k].Elements;
        }
    }

    /// <summary>The adapter configuration.</summary>
    public AdapterSetup Setup { get; }

    /// <summary>The wrapped model's layout (base parameters, then each adapted module's adapter tensors).</summary>
    public ModelLayout Layout { get; }

    /// <summary>Uses per parameter (<see cref="ModelLayout.UsesPerParameter"/>).</summary>
    public int[] Uses { get; }

    /// <summary>peft's "all params" (<c>get_nb_trainable_parameters</c>: a packed 4-bit weight counts its original elements).</summary>
    public long AllParameters { get; }

    /// <summary>peft's "trainable params": the adapter tensors.</summary>
    public long TrainableParameters { get; }

    /// <summary>Whether parameter <paramref name="k"/> is an adapter tensor (gradient and optimizer state) or frozen base.</summary>
    public bool IsTrainable(int k) => trainable[k];

    /// <summary>How parameter <paramref name="k"/> is stored when it is a quantized base weight (else <see cref="BaseQuant.None"/>).</summary>
    public BaseQuant QuantOf(int k) => quant[k];

    /// <summary>What part <paramref name="part"/>'s graph needs, with the given requires-grad flags.</summary>
    public PartAdapters PartAt(int part, bool inputRequiresGrad, bool outputRequiresGrad) => parts[part].With(inputRequiresGrad, outputRequiresGrad);

    /// <summary>The precision parameter <paramref name="k"/>'s weight, gradient and states follow: float32 for adapter tensors
    /// (<see cref="AdapterSetup.AdapterBytes"/>), the step's for the base.</summary>
    public Precision PrecisionOf(int k, Precision step) => trainable[k] ? new Precision(PrecisionMode.Fp32) : step;

    /// <summary>Bytes parameter <paramref name="k"/> occupies: its quantized storage, or elements × the bytes of its dtype.</summary>
    public long StoredBytes(int k, Precision step, AllocationRounding rounding)
    {
        var t = Layout.Parameters[k];
        if (quant[k] != BaseQuant.None) return QuantizedStorage.Bytes(quant[k], Setup.DoubleQuant, t.Rows, t.Cols, rounding);
        return Rounding.Apply(t.Elements * PrecisionOf(k, step).WeightBytes, rounding);
    }
}
