using GaLore.Planner.Devices;
using GaLore.Planner.Fit;
using GaLore.Planner.Parallel;
using GaLore.Planner.Search;
using static GaLore.Planner.Tests.Parallel.ParallelSpecs;

namespace GaLore.Planner.Tests.Parallel;

public class GpuCountSearchTests
{
    static FitQuery Query(string model, string optimizer, ShardingStrategy strategy, string gpu, OffloadMode offload = OffloadMode.None, int seq = 512) =>
        new(Step(model, optimizer, 2, strategy, offload: offload), 1, seq, GpuCatalog.Resolve(gpu));

    /// <summary>Tries every GPU count from the strategy's smallest to <paramref name="limit"/>.</summary>
    static int? BruteForce(FitQuery q, int limit)
    {
        for (int n = GpuCountSearch.MinGpus(q.Step.Parallel); n <= limit; n++)
            if (GpuCountSearch.Fits(q, n)) return n;
        return null;
    }

    public static IEnumerable<object[]> Cases() =>
    [
        [Query("llama-7b", "adamw", Strategies.Zero3, "rtx-4090")],
        [Query("llama-7b", "adamw", Strategies.Zero2, "rtx-4090")],
        [Query("llama-7b", "adamw", Strategies.Zero1, "a100-40gb")],
        [Query("llama-7b", "adamw", Strategies.Fsdp, "rtx-3060")],
        [Query("llama-2-13b", "adamw_8bit", Strategies.Zero3, "t4")],
        [Query("llama-2-13b", "galore_adamw", Strategies.Fsdp, "rtx-4090")],
        [Query("llama-7b", "adamw", Strategies.Ddp, "h100-80gb")],
        [Query("llama-7b", "adamw", Strategies.Ddp, "rtx-4090")],
        [Query("llama-2-13b", "adamw", Strategies.Zero3, "rtx-3060", OffloadMode.Optimizer)],
        [Query("llama-2-13b", "adamw", Strategies.Zero2, "16GiB", OffloadMode.Optimizer)],
        [Query("llama-2-13b", "adamw", Strategies.Zero1, "12GiB")],
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Auto_equals_a_brute_force_scan(FitQuery q)
    {
        const int limit = 64;
        Assert.Equal(BruteForce(q, limit), GpuCountSearch.Fewest(q, limit));
    }

    [Fact]
    public void The_70b_zero3_question_has_an_answer_and_fewer_cards_do_not_fit()
    {
        var q = Query("llama-3.1-70b", "adamw", Strategies.Zero3, "a100-80gb", seq: 256);
        var n = GpuCountSearch.Fewest(q);
        Assert.NotNull(n);
        Assert.True(GpuCountSearch.Fits(q, n!.Value));
        Assert.False(GpuCountSearch.Fits(q, n.Value - 1));
        var result = FitCalculator.EvaluateFewestGpus(q);
        Assert.True(result.Fits);
        Assert.Equal(n, result.Query.Step.Parallel.Gpus);
        Assert.Equal(new GpuCountAnswer(true, 2, GpuCountSearch.GpuLimit), result.GpuSearch);
        Assert.NotNull(result.Parallel);
    }

    [Fact]
    public void Ddp_replicas_fit_on_any_count_or_none()
    {
        var q = Query("llama-3.1-70b", "adamw", Strategies.Ddp, "h200");
        Assert.Null(GpuCountSearch.Fewest(q));
        var r = FitCalculator.EvaluateFewestGpus(q, withSuggestions: false);
        Assert.False(r.Fits);
        Assert.Equal(new GpuCountAnswer(false, 2, 2), r.GpuSearch);
    }
}
