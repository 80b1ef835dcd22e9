using GaLore.Planner.Adapters;
using GaLore.Planner.Memory;
using GaLore.Planner.Models;

namespace GaLore.Planner.Fit;

/// <summary>
/// What <c>fit</c> says about a quantized adapter base beyond the verdict. bitsandbytes replaces only <c>nn.Linear</c>
/// modules (transformers' <c>replace_with_bnb_linear</c>); transformers 5 fuses each mixture-of-experts layer's experts
/// into 3-D <c>nn.Parameter</c>s, which it therefore loads unquantized — the planner counts them so, and says so, since a
/// QLoRA user expects a 4-bit model (axolotl's <c>monkeypatch/moe_quant.py</c> documents the same and quantizes them after
/// loading with <c>bitsandbytes.nn.parametrize</c>).
/// </summary>
public static class AdapterNotes
{
    /// <summary>Adds the notes for a query to <paramref name="notes"/>.</summary>
    public static void Add(FitQuery q, List<string> notes)
    {
        if (q.Step.Adapters is not { Quant: not BaseQuant.None } adapters) return;
        var adapted = StepCompiler.AdaptedLayoutOf(q.Step);   // cached: the estimate built it
        long bytes = 0;
        for (int k = 0; k < adapted.Layout.Parameters.Count; k++)
            if (adapted.Layout.Parameters[k].Kind == TensorKind.StackedExperts && adapted.QuantOf(k) == BaseQuant.None)
                bytes += adapted.Layout.Parameters[k].Elements * adapted.PrecisionOf(k, q.Step.Precision).WeightBytes;
        if (bytes == 0) return;
        notes.Add($"{q.Step.Model.Name}: transformers 5 fuses the experts into 3-D parameters and bitsandbytes quantizes only nn.Linear, " +
                  $"so {NoteUnits.Gib(bytes)} of expert weights stay {q.Step.Precision.Name} under --base-quant {AdapterSetup.Name(adapters.Quant)} " +
                  "(--transformers 4 plans one quantized Linear per expert)");
    }
}
