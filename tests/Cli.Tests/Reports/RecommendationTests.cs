using GaLore.Planner.Capacity;
using GaLore.Planner.Devices;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;

namespace GaLore.Cli.Tests.Reports;

/// <summary>The capacity report's recommendation agrees with what <c>fit</c> prints for the same configuration.</summary>
public class RecommendationTests
{
    [Fact]
    public void The_7b_on_a_4090_is_galore_8bit_layerwise_at_batch_6_as_fit_says()
    {
        var result = CapacityAnalysis.Run(CapacitySettings.Default, [GpuCatalog.Resolve("rtx-4090")],
            ModelPresets.All.Where(m => m.Name != "tiny").ToList(), OptimizerSpec.Names);
        var rec = result.Recommendations.Single(r => r.Model.Name == "llama-7b");
        Assert.Equal("galore_adamw_8bit_layerwise", rec.Pick!.Optimizer);
        var fit = CliRunner.Run("fit", "--json");
        using var doc = System.Text.Json.JsonDocument.Parse(fit.Out);
        Assert.Equal(doc.RootElement.GetProperty("max_batch").GetInt32(), rec.Pick.MaxBatch);
        Assert.Equal(doc.RootElement.GetProperty("peak_bytes").GetInt64(), rec.Pick.Batch1!.DeviceUsedBytes);
        Assert.Equal(0, rec.Reference!.MaxBatch);
    }
}
