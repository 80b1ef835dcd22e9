using GaLore.Planner.Memory;
using GaLore.Planner.Parallel;
using static GaLore.Planner.Tests.Parallel.ParallelSpecs;

namespace GaLore.Planner.Tests.Parallel;

public class GradAccumulationTests
{
    [Fact]
    public void Kept_gradients_are_alive_through_the_last_micro_batchs_forward()
    {
        var one = Step("llama-60m", "adamw", 1, Strategies.None);
        var four = Step("llama-60m", "adamw", 1, Strategies.None, accum: 4);
        long grads = StepCompiler.TableOf(one.Model).Sum(t => t.Elements * 2);
        var a = StepCompiler.Compile(one).Trace(1024, 256).ToList();
        var b = StepCompiler.Compile(four).Trace(1024, 256).ToList();
        long EndOfForward(List<(string Phase, string Label, long TotalBytes)> t) => t[t.FindLastIndex(x => x.Phase.StartsWith("forward"))].TotalBytes;
        Assert.Equal(EndOfForward(a) + grads, EndOfForward(b));
        Assert.Equal(b[0].TotalBytes, b[^1].TotalBytes);
        Assert.True(StepCompiler.Compile(four).Evaluate(1024, 256).PeakBytes > StepCompiler.Compile(one).Evaluate(1024, 256).PeakBytes);
    }

    [Theory]
    [InlineData("zero2")]
    [InlineData("zero3")]
    public void Partitioned_gradients_accumulate_in_their_partitions(string strategy)
    {
        // Stages 2 and 3 reduce every micro-batch: the full gradients never persist, only the partitions (ZeRO-3's always do).
        var s1 = Step("llama-60m", "adamw", 4, Strategies.Parse(strategy));
        var s4 = Step("llama-60m", "adamw", 4, Strategies.Parse(strategy), accum: 4);
        long p1 = StepCompiler.Compile(s1).Evaluate(1024, 256).PeakBytes, p4 = StepCompiler.Compile(s4).Evaluate(1024, 256).PeakBytes;
        long partition = StepCompiler.TableOf(s1.Model).Sum(t => t.Elements) * 2 / 4;
        Assert.InRange(p4 - p1, 0, 2 * partition);
    }

    [Fact]
    public void Tokens_per_optimizer_step_are_micro_batch_times_sequence_times_k_times_n() =>
        Assert.Equal(4L * 1024 * 8 * 16, new Parallelism(16, Strategies.Zero3, GradAccum: 8).TokensPerOptimizerStep(4, 1024));

    [Fact]
    public void Every_accumulating_step_returns_to_its_persistent_memory()
    {
        foreach (var strategy in Strategies.Multi.Prepend(Strategies.None))
            foreach (bool ckpt in new[] { false, true })
            {
                var s = Step("tiny", "adamw", strategy is SingleDevice ? 1 : 4, strategy, accum: 3, checkpointing: ckpt);
                var trace = StepCompiler.Compile(s, compact: false).Trace(64, 16).ToList();
                Assert.Equal(trace[0].TotalBytes, trace[^1].TotalBytes);
            }
    }
}
