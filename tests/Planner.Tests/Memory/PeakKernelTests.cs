using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Tests.Memory;

/// <summary>The compiled peak-only evaluator (<see cref="PeakKernel"/>) against the general one and the expanded trace.</summary>
public sealed class PeakKernelTests
{
    static readonly (long Tokens, long Seq)[] Shapes = [(1, 1), (256, 256), (4096, 512), (65536, 8192)];

    [Fact]
    public void The_peak_alone_equals_the_general_evaluators_peak_for_one_model_of_every_family_and_every_optimizer()
    {
        var models = ModelPresets.All.GroupBy(m => (m.Family.ModelType, m.Moe is null)).Select(g => g.First()).ToList();
        Assert.True(models.Count >= 8, $"expected a preset per family, got {models.Count}");
        int checkedPoints = 0;
        foreach (var model in models)
            foreach (var opt in OptimizerSpec.Names)
                foreach (var mode in Enum.GetValues<PrecisionMode>())
                {
                    var spec = new StepSpec(model, OptimizerSetup.FromName(opt, GaLoreSettings.Default with { Rank = 32 }), new Precision(mode),
                        Checkpointing: mode == PrecisionMode.Bf16, Runtime: RuntimeProfile.All[checkedPoints % RuntimeProfile.All.Count]);
                    foreach (var rounding in Enum.GetValues<AllocationRounding>())
                    {
                        StepProgram program;
                        try { program = StepCompiler.Compile(spec, rounding); }
                        catch (PlannerInputException) { continue; }       // a combination HF refuses (GaLore on GPT-2's Conv1D)
                        foreach (var (t, s) in Shapes)
                        {
                            Assert.Equal(program.Evaluate(t, s).PeakBytes, program.PeakBytes(t, s));
                            checkedPoints++;
                        }
                    }
                }
        Assert.True(checkedPoints > 1000, $"{checkedPoints} points");
    }

    [Fact]
    public void Hundreds_of_distinct_sizes_and_constant_runs_give_the_same_peak_as_the_trace()
    {
        // Beyond the compiler's first buffers (16 sizes, 16 runs, 256 items): 300 distinct per-token sizes, each followed by a
        // constant run, some freed again; repeated segments in between.
        var events = new List<StepEvent>();
        for (int i = 0; i < 300; i++)
        {
            events.Add(Alloc(new Extent(i, 1 + i % 37, i % 5, i % 11 == 0 ? 1000 + i : 0)));
            events.Add(Alloc(Extent.Fixed(7 * i + 1)));
            if (i % 3 == 0) events.Add(Free(Extent.Fixed(7 * i + 1)));
            if (i % 4 == 0) events.Add(Free(new Extent(i, 1 + i % 37, i % 5, i % 11 == 0 ? 1000 + i : 0)));
        }
        var segments = new[] { new StepSegment("a", [.. events], 1), new StepSegment("b", [.. events.Take(40)], 5), new StepSegment("c", [.. events], 2) };
        foreach (var rounding in Enum.GetValues<AllocationRounding>())
        {
            var program = new StepProgram(new CategoryBytes { Weights = 123_456 }, segments, rounding);
            foreach (var (t, s) in Shapes)
                Assert.Equal(program.Trace(t, s).Max(x => x.TotalBytes), program.PeakBytes(t, s));
        }
    }

    [Fact]
    public void Constant_runs_keep_their_highest_point_repeats_their_growth_and_capped_events_their_cap()
    {
        // From 1000 persistent bytes: a spike of constants (+10, +5, −15) peaks 15 above its start with a net of 0; a segment
        // with a per-token event capped at 100 B peaks at min(4·T, 100) + 1 and returns; 4 repetitions of +2, +3 end 20 higher.
        var spike = new StepSegment("spike", [Alloc(Extent.Fixed(10)), Alloc(Extent.Fixed(5)), Free(Extent.Fixed(15))], 1);
        var capped = new StepSegment("capped", [Alloc(Extent.TokensUpTo(4, 100)), Alloc(Extent.Fixed(1)), Free(Extent.TokensUpTo(4, 100)), Free(Extent.Fixed(1))], 3);
        var grows = new StepSegment("grows", [Alloc(Extent.Fixed(2)), Alloc(Extent.Fixed(3))], 4);
        var program = new StepProgram(new CategoryBytes { Weights = 1000 }, [spike, capped, grows], AllocationRounding.None);
        Assert.Equal(1020, program.PeakBytes(1, 1));          // the growth: 1000 + 4 × 5
        Assert.Equal(1041, program.PeakBytes(10, 1));         // the capped segment: 1000 + 40 + 1
        Assert.Equal(1101, program.PeakBytes(1000, 1));       // at its cap
        foreach (var t in new long[] { 1, 3, 4, 10, 25, 1000 })
            Assert.Equal(program.Trace(t, 1).Max(x => x.TotalBytes), program.PeakBytes(t, 1));
    }

    static StepEvent Alloc(Extent size) => new(size, MemoryCategory.Activations, IsFree: false, "alloc");

    static StepEvent Free(Extent size) => new(size, MemoryCategory.Activations, IsFree: true, "free");
}
