using System.Diagnostics;
using GaLore.Planner;
using GaLore.Planner.Devices;
using GaLore.Planner.Fit;
using GaLore.Planner.Inputs;
using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Search;

namespace GaLore.Planner.Tests.Inputs;

/// <summary>The silent wrong answers of issue #14, one test each: every one is now a one-line input error or an exact answer.</summary>
public class OverflowTests
{
    static StepSpec Step(string model = "llama-7b", string optim = "galore_adamw_8bit_layerwise") =>
        new(ModelPresets.Find(model)!, OptimizerSetup.FromName(optim), new Precision(PrecisionMode.Bf16));

    static FitQuery Query(int batch = 1, int seq = 256, long context = DeviceProfile.DefaultContextBytes, long reserve = 0, string gpu = "rtx-4090") =>
        new(Step(), batch, seq, GpuCatalog.Resolve(gpu), context, reserve);

    [Fact]
    public void Batch_and_sequence_of_2_to_the_31_are_refused_not_answered_as_fitting()
    {
        // Before: fit --batch 2147483647 --seq 2147483647 said "fits": true, 15 GiB.
        var e = Assert.Throws<PlannerInputException>(() => FitCalculator.Evaluate(Query(int.MaxValue, int.MaxValue)));
        Assert.Contains("batch is 2,147,483,647, beyond any real run", e.Message);
        Assert.Contains("sequence length is 2,147,483,647", Assert.Throws<PlannerInputException>(() => FitCalculator.Evaluate(Query(1, int.MaxValue))).Message);
    }

    [Fact]
    public void A_cuda_context_or_reserve_of_1e300_is_refused()
    {
        // Before: --cuda-context 1e300 gave peak_bytes −9.2e18 and FITS; --reserve 1e300 flipped the headroom's sign.
        Assert.Contains("larger than any GPU", Assert.Throws<PlannerInputException>(() => ByteSize.Parse("1e300", "--cuda-context")).Message);
        Assert.Contains("larger than any GPU", Assert.Throws<PlannerInputException>(() => ByteSize.Parse("1e300", "--reserve")).Message);
        // Within the size bounds but beyond the card: an error too, never a negative capacity.
        Assert.Contains("CUDA context", Assert.Throws<PlannerInputException>(() => FitCalculator.Evaluate(Query(context: 30L << 30))).Message);
        Assert.Contains("leaves nothing", Assert.Throws<PlannerInputException>(() => FitCalculator.Evaluate(Query(reserve: 30L << 30))).Message);
    }

    [Fact]
    public void Four_thousand_heads_of_a_million_wide_are_refused_by_name()
    {
        // Before: 4,096 heads × head_dim 1,048,576 reported 2.26 B parameters (true: 8.8 T) and FITS.
        var e = Assert.Throws<PlannerInputException>(() => HfConfigLoader.Parse(
            """{"model_type":"llama","vocab_size":32000,"hidden_size":4096,"intermediate_size":11008,"num_hidden_layers":32,"num_attention_heads":4096,"head_dim":1048576}""", "wide"));
        Assert.Contains("num_attention_heads is 4,096, beyond any real run (at most 1,024)", e.Message);
        var d = Assert.Throws<PlannerInputException>(() => HfConfigLoader.Parse(
            """{"model_type":"llama","vocab_size":32000,"hidden_size":4096,"intermediate_size":11008,"num_hidden_layers":32,"num_attention_heads":32,"head_dim":1048576}""", "wide"));
        Assert.Contains("head_dim is 1,048,576", d.Message);
    }

    [Theory]
    [InlineData("vocab_size", 2147483000)]
    [InlineData("hidden_size", 2147483000)]
    public void Vocab_and_hidden_near_2_to_the_31_are_refused_not_negative(string field, int value)
    {
        // Before: a negative parameter count.
        string json = $$"""{"model_type":"llama","vocab_size":32000,"hidden_size":4096,"intermediate_size":11008,"num_hidden_layers":2,"num_attention_heads":32,"{{field}}":{{value}}}""";
        Assert.Contains($"{field} is {value:N0}, beyond any real run", Assert.Throws<PlannerInputException>(() => HfConfigLoader.Parse(json, "big")).Message);
    }

    [Theory]
    [InlineData(100_000)]
    [InlineData(1_000_000)]
    public void Huge_layer_counts_are_refused_at_once(int layers)
    {
        // Before: exit 1 with ArgumentOutOfRangeException / OutOfMemoryException, or seconds and gigabytes of work.
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<PlannerInputException>(() => HfConfigLoader.Parse(
            $$"""{"model_type":"llama","vocab_size":32000,"hidden_size":64,"intermediate_size":176,"num_hidden_layers":{{layers}},"num_attention_heads":4}""", "deep"));
        Assert.Contains($"num_hidden_layers is {layers:N0}, beyond any real run (at most 1,024)", e.Message);
        Assert.True(clock.Elapsed.TotalSeconds < 1, $"took {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public void The_largest_accepted_model_counts_its_parameters_exactly()
    {
        // At every bound at once a layout still sums exactly in 64 bits (checked arithmetic); it is simply beyond any card.
        var m = new ModelConfig("max", ModelFamilies.Llama, InputBounds.MaxVocab, InputBounds.MaxHidden, InputBounds.MaxIntermediate, InputBounds.MaxLayers,
            InputBounds.MaxHeads, InputBounds.MaxHeads, InputBounds.MaxHeadDim, false, false, false, false, 4096);
        var e = Assert.Throws<PlannerInputException>(() => m.Validate().Layout());
        Assert.Contains("parameters, beyond any trainable model", e.Message);
        long h = InputBounds.MaxHidden, i = InputBounds.MaxIntermediate, q = (long)InputBounds.MaxHeads * InputBounds.MaxHeadDim, v = InputBounds.MaxVocab;
        long expected = 2 * v * h + h + InputBounds.MaxLayers * (2 * h + 2 * q * h + 2 * q * h + 3 * i * h);
        Assert.Contains($"has {expected:N0} parameters", e.Message);
    }

    [Fact]
    public void Sizes_beyond_exact_arithmetic_are_an_error_for_a_point_and_a_no_for_a_search()
    {
        // tiny with math attention: the s×s matrix at batch 2^20 × seq 2^24 is ≈ 2^74 bytes — beyond 64 bits.
        var step = new StepSpec(ModelPresets.Find("tiny")!, OptimizerSetup.FromName("adamw"), new Precision(PrecisionMode.Bf16),
            Attention: GaLore.Planner.Memory.Graph.AttentionKind.Math);
        var program = DevicePrograms.Compile(step, DeviceProfile.Cuda(9.0));
        Assert.False(program.IsExact(InputBounds.MaxBatch, InputBounds.MaxSeq));
        Assert.Contains("beyond any device", Assert.Throws<PlannerInputException>(() => program.DeviceUsedBytes(InputBounds.MaxBatch, InputBounds.MaxSeq)).Message);
        Assert.Contains("beyond any device", Assert.Throws<PlannerInputException>(() => MemoryEstimate.Of(program, InputBounds.MaxBatch, InputBounds.MaxSeq)).Message);
        // The search is still exact: at that length the largest tensor alone is beyond every accepted capacity.
        Assert.False(program.FitsWithin(InputBounds.MaxBatch, InputBounds.MaxSeq, InputBounds.MaxMemoryBytes));
        Assert.Equal(0, AxisSearch.MaxBatch(program, InputBounds.MaxSeq, 80L << 30));
        // And where it is exact the fast path agrees with the full one.
        Assert.True(program.IsExact(4, 1024));
        Assert.Equal(MemoryEstimate.Of(program, 4, 1024).DeviceUsedBytes, program.DeviceUsedBytes(4, 1024));
    }

    [Fact]
    public void The_magnitude_bound_is_an_upper_bound_and_the_largest_tensor_a_lower_bound_of_the_peak()
    {
        foreach (var (batch, seq) in new[] { (1, 256), (8, 2048), (64, 4096) })
        {
            var program = DevicePrograms.Compile(Step(), DeviceProfile.Cuda(8.9)).Allocated;
            long tokens = (long)batch * seq;
            long peak = program.PeakBytes(tokens, seq);
            Assert.True(program.MagnitudeBound(tokens, seq) >= peak);
            Assert.True(program.LargestTensorLowerBound(tokens, seq) <= peak);
        }
    }
}
