using GaLore.Planner.Devices;
using GaLore.Planner.Fit;
using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;

namespace GaLore.Planner.Tests.Search;

/// <summary>Found by the fuzz suite: halving the rank after APOLLO-Mini (rank 1) in a combination reached rank 0 and
/// crashed the search (fit --dtype fp32 --optim galore_adamw --batch 55 --checkpointing).</summary>
public class SuggestionRankTests
{
    [Fact]
    public void Combined_suggestions_never_halve_a_rank_to_zero()
    {
        var q = new FitQuery(new StepSpec(ModelPresets.Find("llama-7b")!, OptimizerSetup.FromName("galore_adamw"), new Precision(PrecisionMode.Fp32),
            Checkpointing: true), 55, 256, GpuCatalog.Resolve("rtx-4090"));
        var suggestions = Suggestions.For(q);
        Assert.NotEmpty(suggestions);
        Assert.All(suggestions, s => Assert.True(s.Estimate.DeviceUsedBytes <= q.UsableBytes, s.Description));
    }
}
