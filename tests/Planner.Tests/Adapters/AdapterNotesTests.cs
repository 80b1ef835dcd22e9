using GaLore.Planner.Adapters;
using GaLore.Planner.Devices;
using GaLore.Planner.Fit;
using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Tests.Adapters;

public class AdapterNotesTests
{
    static FitResult Fit(ModelConfig model, BaseQuant quant) =>
        FitCalculator.Evaluate(new FitQuery(new StepSpec(model, OptimizerSetup.FromName("adamw"), new Precision(PrecisionMode.Bf16),
                false, AttentionKind.Sdpa, RuntimeProfile.PyTorchReference)
            { Adapters = new AdapterSetup(PeftMethod.Lora, Targets: PeftTargets.Parse("q_proj,v_proj"), Quant: quant) }, 1, 256, GpuCatalog.Resolve("h100")));

    static string? ExpertNote(FitResult r) => r.Warnings.FirstOrDefault(w => w.Contains("expert weights stay", StringComparison.Ordinal));

    [Fact]
    public void A_quantized_base_with_fused_experts_says_how_much_stays_16_bit()
    {
        var fused = ModelPresets.Find("qwen3-30b-a3b")!;
        Assert.Equal(MoeLayout.Fused, fused.Moe!.Layout);
        long stacked = StepCompiler.TableOf(fused).Where(t => t.Kind == TensorKind.StackedExperts).Sum(t => t.Elements);
        string gib = (stacked * 2 / (double)(1L << 30)).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
        var note = ExpertNote(Fit(fused, BaseQuant.Nf4));
        Assert.NotNull(note);
        Assert.Contains($"{gib} GiB of expert weights stay bf16 under --base-quant nf4", note);

        // One Linear per expert (transformers 4) is quantized like every other Linear; no quantization, nothing to say.
        Assert.Null(ExpertNote(Fit(fused with { Moe = fused.Moe with { Layout = MoeLayout.PerExpert } }, BaseQuant.Nf4)));
        Assert.Null(ExpertNote(Fit(fused, BaseQuant.None)));
        Assert.Null(ExpertNote(Fit(ModelPresets.Find("llama-7b")!, BaseQuant.Nf4)));
    }
}
