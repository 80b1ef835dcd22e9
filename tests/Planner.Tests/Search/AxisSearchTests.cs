using GaLore.Planner.Devices;
using GaLore.Planner.Fit;
using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Search;

namespace GaLore.Planner.Tests.Search;

/// <summary>The searches agree with scanning every value.</summary>
public class AxisSearchTests
{
    // Configurations with different shapes of the peak against batch and seq: sdpa (linear in tokens), math
    // attention (quadratic term), checkpointing, mixed precision, a grouped-query model.
    public static TheoryData<string, string, string, bool, string> Configurations => new()
    {
        { "llama-60m", "adamw", "sdpa", false, "bf16" },
        { "llama-130m", "galore_adamw_8bit_layerwise", "math", false, "bf16" },
        { "llama-350m", "adafactor", "sdpa", true, "mixed" },
        { "llama-1b", "galore_adamw", "math", true, "bf16" },
        { "tiny", "adamw_8bit_layerwise", "math", false, "fp32" },
    };

    /// <summary>The capacity report's step (GaLore rank 32, Hugging Face's other defaults) at batch 1 × 256 on a card of the given size.</summary>
    static (DevicePrograms Program, FitQuery Query) Compile(string model, string optim, string attention, bool checkpointing, string dtype, long capacityMiB)
    {
        var step = new StepSpec(ModelPresets.Find(model)!, OptimizerSetup.FromName(optim, GaLoreSettings.Default with { Rank = 32 }),
            Precision.Parse(dtype), checkpointing, attention == "math" ? AttentionKind.Math : AttentionKind.Sdpa);
        var query = new FitQuery(step, 1, 256, new GpuSpec("test", "test card", (int)capacityMiB, 9.0));
        return (DevicePrograms.Compile(step, query.Device), query);
    }

    /// <summary>A capacity (MiB) at which the peak at (batch, seq) just fits: the search's answer lands near there.</summary>
    static long CapacityFor(string model, string optim, string attention, bool checkpointing, string dtype, int batch, int seq)
    {
        var (p, _) = Compile(model, optim, attention, checkpointing, dtype, 1 << 20);
        return p.DeviceUsedBytes(batch, seq) / (1L << 20) + 1;
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Max_batch_matches_a_scan_of_every_batch(string model, string optim, string attention, bool checkpointing, string dtype)
    {
        foreach (int target in new[] { 1, 3, 37, 300 })
        {
            long mib = CapacityFor(model, optim, attention, checkpointing, dtype, target, 256);
            var (program, query) = Compile(model, optim, attention, checkpointing, dtype, mib);
            int expected = 0;
            for (int b = 1; b <= 2 * target + 64; b++)
                if (program.DeviceUsedBytes(b, query.Seq) <= query.UsableBytes) expected = b;
            Assert.True(expected < 2 * target + 64, "the scan must go past the answer");
            Assert.Equal(expected, AxisSearch.MaxBatch(program, query.Seq, query.UsableBytes));
            Assert.Equal(expected, FitCalculator.MaxBatch(program, query));
        }
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Max_seq_matches_a_scan_of_every_length(string model, string optim, string attention, bool checkpointing, string dtype)
    {
        // Targets below the first probe (128), between probes, and one that reaches the search limit.
        foreach (int target in new[] { 1, 77, 1000, 40000 })
        {
            long mib = CapacityFor(model, optim, attention, checkpointing, dtype, 1, target);
            var (program, query) = Compile(model, optim, attention, checkpointing, dtype, mib);
            int expected = 0;
            for (int s = 1; s <= AxisSearch.SeqSearchLimit; s++)
                if (program.DeviceUsedBytes(1, s) <= query.UsableBytes) expected = s;
            Assert.Equal(expected, AxisSearch.MaxSeq(program, 1, query.UsableBytes));
        }
    }

    [Fact]
    public void Max_seq_is_zero_when_one_token_does_not_fit()
    {
        var (program, query) = Compile("llama-1b", "adamw", "sdpa", false, "bf16", 1024);
        Assert.Equal(0, AxisSearch.MaxSeq(program, 1, query.UsableBytes));
        Assert.Equal(0, AxisSearch.MaxBatch(program, query.Seq, query.UsableBytes));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 7)]         // a limit that is no power of two times the first probe
    [InlineData(128, 1000)]
    [InlineData(128, 100)]     // a first probe above the limit
    public void Any_probe_and_limit_matches_a_scan(int firstProbe, int limit)
    {
        foreach (var axis in new[] { ShapeAxis.Batch, ShapeAxis.Seq })
            foreach (int target in new[] { 1, 5, 77, 2000 })
            {
                long mib = axis == ShapeAxis.Batch
                    ? CapacityFor("llama-60m", "adamw", "math", false, "bf16", target, 256)
                    : CapacityFor("llama-60m", "adamw", "math", false, "bf16", 1, target);
                var (program, query) = Compile("llama-60m", "adamw", "math", false, "bf16", mib);
                int other = axis == ShapeAxis.Batch ? query.Seq : 1;
                int expected = 0;
                for (int v = 1; v <= limit; v++)
                    if ((axis == ShapeAxis.Batch ? program.DeviceUsedBytes(v, other) : program.DeviceUsedBytes(other, v)) <= query.UsableBytes) expected = v;
                Assert.Equal(expected, AxisSearch.Largest(program, axis, other, query.UsableBytes, firstProbe, limit));
            }
    }
}
