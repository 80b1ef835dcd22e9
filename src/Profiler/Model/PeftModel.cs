using GaLore.Kernels.Quantization;
using GaLore.Planner.Adapters;
using GaLore.Planner.Models;
using GaLore.Planner.Models.Layout;
using GaLore.Profiler.Model.Families;
using GaLore.Profiler.Model.Parts;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model;

/// <summary>
/// What a <see cref="CausalLm"/> built from an <see cref="AdaptedLayout"/> adds: each parameter created as peft and
/// bitsandbytes hold it — adapter tensors in float32 and trainable (<c>lora_A</c> Kaiming-uniform with a = √5, <c>lora_B</c>
/// zeros, DoRA's magnitude the row norms of W + scaling·B·A, as <c>LoraLayer.reset_lora_parameters</c> and
/// <c>DoraLinearLayer.update_layer</c> initialise them), the base frozen, its Linear weights quantized to 4 bits when the
/// setup says so — and the <see cref="PeftLinear"/> of every adapted or quantized Linear, found by its weight.
/// The families' twins build their parts unaware: <see cref="Projection"/> asks the forward context.
/// </summary>
internal sealed class PeftModel : IDisposable
{
    readonly Dictionary<IntPtr, PeftLinear> linears = [];
    readonly HashSet<IntPtr> frozen = [];
    readonly List<FourBitWeight> fourBit = [];

    /// <summary>The wrapped layout.</summary>
    public AdaptedLayout Adapted { get; }

    PeftModel(AdaptedLayout adapted) => Adapted = adapted;

    /// <summary>The peft Linear whose base weight is <paramref name="weight"/>, or null.</summary>
    public PeftLinear? Of(Tensor weight) => linears.GetValueOrDefault(weight.Handle);

    /// <summary>Whether <paramref name="p"/> is a frozen base parameter (never tapped, never updated).</summary>
    public bool IsFrozen(Tensor p) => frozen.Contains(p.Handle);

    /// <summary>Creates every parameter of the wrapped layout and the peft Linears.</summary>
    public static (PeftModel Model, ModelParameter[] Parameters) Create(AdaptedLayout adapted, FamilyTwin twin, ModelDTypes types,
        Device device, Generator init, double std, ModelConfig config)
    {
        var setup = adapted.Setup;
        if (setup.Quant == BaseQuant.Int8)
            throw new NotSupportedException("an int8 (LLM.int8()) base can be planned, not profiled: this project's TorchSharp model has 4-bit bases only");
        var model = new PeftModel(adapted);
        var table = adapted.Layout.Parameters;
        var parameters = new ModelParameter[table.Count];
        var fourBitOf = new Dictionary<int, FourBitWeight>();
        Tensor? baseValue = null;                                          // the current module's base weight (for DoRA's magnitude)
        for (int k = 0; k < table.Count; k++)
        {
            var t = table[k];
            Parameter p;
            if (adapted.IsTrainable(k))
                p = new Parameter(AdapterValue(t, baseValue, setup, device, init), requires_grad: true);
            else
            {
                var value = twin.InitialValue(t, types.Weight, device, init, std, config);
                var q = adapted.QuantOf(k);
                if (q == BaseQuant.None)
                {
                    if (t.Kind is TensorKind.AttentionProjection or TensorKind.MlpProjection or TensorKind.LmHead) Keep(ref baseValue, value.alias());
                    p = new Parameter(value, requires_grad: false);
                }
                else
                {
                    var w = FourBitQuantizer.Quantize(value, q, setup.DoubleQuant);
                    value.Dispose();
                    model.fourBit.Add(w);
                    fourBitOf[k] = w;
                    Keep(ref baseValue, null);
                    p = new Parameter(w.Packed.alias(), requires_grad: false);   // the packed codes (shared storage)
                    if (setup.Method == PeftMethod.Dora) Keep(ref baseValue, FourBitQuantizer.Dequantize(w, ScalarType.Float32));
                }
                model.frozen.Add(p.Handle);
            }
            parameters[k] = new ModelParameter(t.Name, t, p) { Trainable = adapted.IsTrainable(k) };
        }
        baseValue?.Dispose();

        for (int i = 0; i < adapted.Layout.Parts.Count; i++)
        {
            var part = adapted.Layout.Parts[i];
            foreach (var l in adapted.PartAt(i, false, false).Linears)
            {
                if (!l.Adapted && l.Quant == BaseQuant.None) continue;             // a plain frozen Linear: Projection as it is
                if (l.Adapted && part.Design.Kind != PartKind.Block)
                    throw new NotSupportedException($"adapters on {l.Role} (outside the decoder blocks) can be planned, not profiled");
                int w = part.ParameterOf(l.Role);
                Parameter? Opt(string role) => part.HasRole(role) ? parameters[part.ParameterOf(role)].Tensor : null;
                var linear = new PeftLinear(parameters[w].Tensor, fourBitOf.GetValueOrDefault(w), Opt(l.Role + ".bias"),
                    l.Adapted ? Opt(AdapterRoles.A(l.Role)) : null, l.Adapted ? Opt(AdapterRoles.B(l.Role)) : null,
                    l.Dora ? Opt(AdapterRoles.Magnitude(l.Role)) : null, setup.Scaling, setup.Dropout);
                model.linears[parameters[w].Tensor.Handle] = linear;
            }
        }
        return (model, parameters);
    }

    static void Keep(ref Tensor? slot, Tensor? value)
    {
        slot?.Dispose();
        slot = value;
    }

    /// <summary>The initial value of an adapter tensor (float32).</summary>
    static Tensor AdapterValue(ParameterTensor t, Tensor? baseWeight, AdapterSetup setup, Device device, Generator init)
    {
        using var scope = torch.NewDisposeScope();
        if (t.Kind == TensorKind.AdapterVector)
        {
            // ‖W + scaling·B·A‖ per output row with B = 0: the base weight's row norms (float32).
            var w = baseWeight ?? throw new InvalidOperationException($"{t.Name}: no base weight before the magnitude vector");
            return torch.linalg.vector_norm(w.to(ScalarType.Float32), 2, [1]).to(device).MoveToOuterDisposeScope();
        }
        if (t.Name.EndsWith(".lora_B.default.weight", StringComparison.Ordinal))
            return torch.zeros(t.Rows, t.Cols, ScalarType.Float32, device).MoveToOuterDisposeScope();
        // kaiming_uniform_(a=√5) on (r, in): bound = gain·√(3 / fan_in) with gain = √(2 / (1 + a²)) → 1 / √in.
        double bound = 1.0 / Math.Sqrt(t.Cols);
        var u = torch.rand([t.Rows, t.Cols], ScalarType.Float32, generator: init);
        return u.mul_(2 * bound).sub_(bound).to(device).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        foreach (var w in fourBit) w.Dispose();
        fourBit.Clear();
    }
}
