using GaLore.Profiler.Model;
using GaLore.Profiler.Tests.Support;
using GaLore.Profiler.Training;
using TorchSharp;

namespace GaLore.Profiler.Tests.Training;

[Collection("torch")]
public sealed class StepRunnerTests
{
    sealed class CountingOptimizer(ITrainingOptimizer inner, List<string> log) : ITrainingOptimizer
    {
        public void Step() { log.Add("step"); inner.Step(); }
        public void ZeroGrad() { log.Add("zero_grad"); inner.ZeroGrad(); }
    }

    [Fact]
    public void Hooks_bracket_the_measured_window_that_holds_a_refresh()
    {
        using var model = CausalLm.Create(TestModels.Tiny);
        var log = new List<string>();
        var optimizer = new CountingOptimizer(new PlainAdamW(model.NamedParameters, lr: 1e-2), log);
        using var tokens = new SyntheticTokens(TestModels.Tiny.VocabSize, seed: 1);
        var plan = StepPlan.Create(minWarmup: 1, measured: 2, updateProjGap: 4);   // warm-up 3, window 3–4

        var steps = StepRunner.Run(model, optimizer, tokens, 2, 16, plan,
            beforeMeasured: () => log.Add("before"), afterMeasured: () => log.Add("after"));

        Assert.Equal(5, steps.Count);
        Assert.Equal(new[] { false, false, false, true, true }, steps.Select(s => s.Measured));
        Assert.Equal(new[] { true, false, false, false, true }, steps.Select(s => s.Refresh));
        Assert.Equal(3, log.IndexOf("before") / 2);                 // after three step/zero_grad pairs
        Assert.Equal("after", log[^1]);
        Assert.All(steps, s => Assert.True(float.IsFinite(s.Loss) && s.Milliseconds > 0));
    }

    [Fact]
    public void Text_file_tokens_are_bytes_modulo_vocabulary_and_wrap_around()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, [0, 1, 2, 200, 255]);
            var tokens = new TextFileTokens(path, vocab: 100);
            using var first = tokens.Next(1, 4);
            using var second = tokens.Next(1, 4);
            Assert.Equal(new long[] { 0, 1, 2, 0 }, first.data<long>().ToArray());
            Assert.Equal(new long[] { 55, 0, 1, 2 }, second.data<long>().ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Synthetic_tokens_are_seeded()
    {
        using var a = new SyntheticTokens(50, 9);
        using var b = new SyntheticTokens(50, 9);
        using var x = a.Next(2, 8);
        using var y = b.Next(2, 8);
        Assert.True(TensorAssert.Same(x, y));
        Assert.InRange(x.max().item<long>(), 0, 49);
    }
}
