using GaLore.Planner.Adapters;
using GaLore.Planner.Capacity;
using GaLore.Planner.Devices;
using GaLore.Planner.Models;

namespace GaLore.Planner.Tests.Capacity;

public class CapacityEntryTests
{
    [Theory]
    [InlineData("adamw", "adamw", BaseQuant.None, false)]
    [InlineData("adamw_torch+lora", "adamw+lora", BaseQuant.None, true)]
    [InlineData("adamw_8bit+qlora", "adamw_8bit+qlora", BaseQuant.Nf4, true)]
    public void Entries_name_an_optimizer_and_maybe_adapters(string text, string label, BaseQuant quant, bool adapters)
    {
        var e = CapacityEntry.Parse(text);
        Assert.Equal(label, e.Label);
        Assert.Equal(adapters, e.Adapters is not null);
        if (e.Adapters is { } a)
        {
            Assert.Equal(quant, a.Quant);
            Assert.Equal(quant != BaseQuant.None, a.DoubleQuant);
        }
    }

    [Theory]
    [InlineData("adamw+ia3", "unknown adapter")]
    [InlineData("galore_adamw+lora", "galore_adamw")]
    public void Unknown_adapters_and_optimizers_that_cannot_train_them_are_refused(string text, string fragment) =>
        Assert.Contains(fragment, Assert.Throws<PlannerInputException>(() => CapacityEntry.Parse(text)).Message);

    [Fact]
    public void Adapter_rows_are_reported_but_never_recommended()
    {
        var gpu = GpuCatalog.Resolve("rtx-4090");
        var result = CapacityAnalysis.Run(CapacitySettings.Default, [gpu], [ModelPresets.Find("llama-7b")!], ["adamw", "galore_adamw_8bit_layerwise", "adamw+qlora"]);
        var qlora = result.Rows.Single(r => r.Optimizer == "adamw+qlora");
        var galore = result.Rows.Single(r => r.Optimizer == "galore_adamw_8bit_layerwise");
        Assert.True(qlora.Fits && galore.Fits);
        Assert.True(qlora.TokensPerStep > galore.TokensPerStep);   // QLoRA fits a larger batch ...
        Assert.Equal("galore_adamw_8bit_layerwise", result.Recommendations.Single().Pick!.Optimizer);   // ... but is another kind of training
    }
}
