using GaLore.Cli.Reports.Capacity;
using GaLore.Planner.Devices;
using GaLore.Planner.Fit;
using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models;

namespace GaLore.Cli.Tests.Reports;

/// <summary>The report's searches agree with scanning every value.</summary>
public class CapacitySearchTests
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

    static (DevicePrograms Program, FitQuery Query) Compile(string model, string optim, string attention, bool checkpointing, string dtype, long capacityMiB)
    {
        var s = CapacitySettings.Default with
        {
            Precision = Precision.Parse(dtype), Checkpointing = checkpointing,
            Attention = attention == "math" ? AttentionKind.Math : AttentionKind.Sdpa,
            GaLore = CapacitySettings.Default.GaLore with { Rank = 32 },
        };
        var gpu = new GpuSpec("test", "test card", (int)capacityMiB, 9.0);
        var step = s.Step(ModelPresets.Find(model)!, optim);
        var query = s.Query(step, gpu, 1, s.Seq);
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
            Assert.Equal(expected, CapacitySearch.MaxBatch(program, query));
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
            for (int s = 1; s <= CapacitySearch.SeqSearchLimit; s++)
                if (program.DeviceUsedBytes(1, s) <= query.UsableBytes) expected = s;
            Assert.Equal(expected, CapacitySearch.MaxSeq(program, 1, query.UsableBytes));
        }
    }

    [Fact]
    public void Max_seq_is_zero_when_one_token_does_not_fit()
    {
        var (program, query) = Compile("llama-1b", "adamw", "sdpa", false, "bf16", 1024);
        Assert.Equal(0, CapacitySearch.MaxSeq(program, 1, query.UsableBytes));
        Assert.Equal(0, CapacitySearch.MaxBatch(program, query));
    }
}
