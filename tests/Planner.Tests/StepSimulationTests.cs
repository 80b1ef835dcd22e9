using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models;
using GaLore.Planner.Models.Layout;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Tests;

public class StepSimulationTests
{
    static readonly ModelConfig Tiny = ModelPresets.Find("tiny")!;

    static StepSpec Spec(string optimizer, PrecisionMode mode = PrecisionMode.Bf16, RuntimeProfile? runtime = null, int rank = 8,
        bool checkpointing = false, ModelConfig? model = null, AttentionKind attention = AttentionKind.Sdpa) =>
        new(model ?? Tiny, OptimizerSetup.FromName(optimizer, GaLoreSettings.Default with { Rank = rank }), new Precision(mode),
            checkpointing, attention, runtime ?? RuntimeProfile.TorchSharpKernels);

    [Fact]
    public void Fp32_AdamW_peaks_in_the_optimizer_step_with_every_gradient_and_the_largest_denominator()
    {
        // weights 4·P, moments 2·4·P, gradients 4·P, plus AdamW's `denom` for the largest tensor (embedding or
        // lm_head, 512×64 float32); all activations are gone by then.
        long p = 158_016;
        var peak = StepCompiler.Compile(Spec("adamw", PrecisionMode.Fp32)).Evaluate(8, 8);
        Assert.Equal(4 * p * 4 + 4 * 512 * 64, peak.PeakBytes);
        Assert.Equal("optimizer step", peak.Phase);
        Assert.Equal(4 * p, peak.AtPeak.Gradients);
        Assert.Equal(4 * 512 * 64, peak.AtPeak.Other);
        Assert.Equal(0, peak.AtPeak.Activations);
    }

    [Fact]
    public void Forward_end_holds_every_blocks_saved_activations_plus_the_loss_buffers()
    {
        var spec = Spec("adamw_layerwise", PrecisionMode.Bf16);
        var block = StepCompiler.GraphOf(spec, PartKind.Block);
        var head = StepCompiler.GraphOf(spec, PartKind.Head);
        long t = 64, s = 16;
        var trace = StepCompiler.Compile(spec).Trace(t, s).ToList();
        long persistent = trace[0].TotalBytes;
        int lastForward = trace.FindLastIndex(x => x.Phase.StartsWith("forward"));
        // After nll_loss: every block's saved tensors + the head's + the rotary tables (2·2·head_dim) + the block output feeding
        // the final norm is itself saved there; the logits (bf16 and float32 copies) are gone, the loss scalar too.
        long expected = 2 * block.SavedSize().Bytes(t, s) + head.SavedSize().Bytes(t, s) + t * 2 * 2 * 16;
        Assert.Equal(expected, trace[lastForward].TotalBytes - persistent);
    }

    [Fact]
    public void Repeated_blocks_evaluate_to_the_same_peak_as_the_expanded_trace()
    {
        foreach (var (opt, mode, ckpt) in new[] { ("adamw", PrecisionMode.Bf16, false), ("galore_adamw_8bit_layerwise", PrecisionMode.Mixed, true),
                     ("galore_adafactor", PrecisionMode.Fp32, false), ("adamw_8bit_layerwise", PrecisionMode.Bf16, true) })
            foreach (var runtime in RuntimeProfile.All)
            {
                foreach (var rounding in Enum.GetValues<AllocationRounding>())
                {
                    var program = StepCompiler.Compile(Spec(opt, mode, runtime, checkpointing: ckpt, model: ModelPresets.Find("llama-60m")), rounding);
                    foreach (var (t, s) in new[] { (256L, 256L), (8192L, 1024L) })
                        Assert.Equal(program.Trace(t, s).Max(x => x.TotalBytes), program.Evaluate(t, s).PeakBytes);
                    Assert.True(program.Segments.Count < 20, $"blocks should merge into repeated segments, got {program.Segments.Count}");
                }
            }
    }

    [Fact]
    public void Every_step_returns_to_the_persistent_memory()
    {
        foreach (var opt in OptimizerSpec.Names)
            foreach (var mode in Enum.GetValues<PrecisionMode>())
                foreach (bool ckpt in new[] { false, true })
                    foreach (var runtime in RuntimeProfile.All)
                    {
                        var program = StepCompiler.Compile(Spec(opt, mode, runtime, checkpointing: ckpt, model: Tiny with { TieWordEmbeddings = ckpt }));
                        var trace = program.Trace(32, 8).ToList();
                        Assert.Equal(trace[0].TotalBytes, trace[^1].TotalBytes);
                        Assert.All(trace, x => Assert.True(x.TotalBytes >= program.Persistent.Weights, x.Label));
                    }
    }

    [Fact]
    public void Layerwise_updates_free_each_gradient_before_the_next_one_appears()
    {
        var peak = StepCompiler.Compile(Spec("galore_adamw_layerwise", model: ModelPresets.Find("llama-1b"), rank: 128)).Evaluate(256, 256);
        var largest = ParameterTable.Build(ModelPresets.Find("llama-1b")!).Max(t => t.Elements) * 2;
        Assert.True(peak.AtPeak.Gradients <= largest, $"{peak.AtPeak.Gradients} > one gradient {largest}");
    }

    [Fact]
    public void Checkpointing_keeps_only_block_inputs_until_backward()
    {
        var spec = Spec("adamw", checkpointing: true, model: ModelPresets.Find("llama-60m"));
        var trace = StepCompiler.Compile(spec).Trace(1024, 256).ToList();
        int lastBlockForward = trace.FindLastIndex(x => x.Phase.StartsWith("forward: block"));
        int firstBlockForward = trace.FindIndex(x => x.Phase.StartsWith("forward: block"));
        // Each checkpointed block leaves exactly its input behind: 8 blocks × T × 2h bytes.
        Assert.Equal(8 * 1024 * 2 * 512, trace[lastBlockForward].TotalBytes - trace[firstBlockForward - 1].TotalBytes);
    }
}

public class CompactionTests
{
    [Fact]
    public void Compaction_never_changes_the_peak_or_the_breakdown_at_the_peak()
    {
        foreach (var model in new[] { "tiny", "llama-60m", "qwen2.5-7b" })
            foreach (var opt in OptimizerSpec.Names)
                foreach (var mode in Enum.GetValues<PrecisionMode>())
                    foreach (var runtime in RuntimeProfile.All)
                    {
                        var spec = new StepSpec(ModelPresets.Find(model)!, OptimizerSetup.FromName(opt, GaLoreSettings.Default with { Rank = 16 }),
                            new Precision(mode), Checkpointing: mode == PrecisionMode.Mixed, Runtime: runtime);
                        foreach (var rounding in Enum.GetValues<AllocationRounding>())
                        foreach (var (t, s) in new[] { (64L, 64L), (16384L, 2048L) })
                        {
                            var a = StepCompiler.Compile(spec, rounding, compact: false).Evaluate(t, s);
                            var b = StepCompiler.Compile(spec, rounding).Evaluate(t, s);
                            Assert.Equal(a.PeakBytes, b.PeakBytes);
                            Assert.Equal(a.AtPeak.Total, b.AtPeak.Total);
                            Assert.Equal(a.AtPeak.Gradients, b.AtPeak.Gradients);
                            Assert.Equal(a.AtPeak.Activations, b.AtPeak.Activations);
                        }
                    }
    }
}

public class BlockRepetitionTests
{
    [Fact]
    public void Blocks_that_differ_are_simulated_apart_and_identical_ones_repeat()
    {
        // GaLore on the first two of eight blocks only: two kinds of block backward, each repeated.
        var spec = new StepSpec(ModelPresets.Find("llama-60m")!,
            OptimizerSetup.FromName("galore_adamw_layerwise", GaLoreSettings.Default with { Rank = 32 }, TargetModules.Parse(@"regex:model\.layers\.[01]\..*")),
            new Precision(PrecisionMode.Bf16), Runtime: RuntimeProfile.TorchSharpKernels);
        var program = StepCompiler.Compile(spec);
        var backward = program.Segments.Where(g => g.Phase == "backward: block").ToList();
        Assert.Equal([6, 2], backward.Select(g => g.Repeat));
        var trace = program.Trace(1024, 256).ToList();
        Assert.Equal(trace[0].TotalBytes, trace[^1].TotalBytes);
        Assert.Equal(trace.Max(x => x.TotalBytes), program.Evaluate(1024, 256).PeakBytes);
        // A block with GaLore updates differs from one without.
        Assert.False(backward[0].SameEventsAs(backward[1] with { Repeat = backward[0].Repeat }));
    }

    [Theory]
    [InlineData("24GiB", 24L << 30)]
    [InlineData("80GB", 80_000_000_000L)]
    [InlineData("40", 40L << 30)]
    [InlineData("24576MiB", 24L << 30)]
    [InlineData("rtx-4090", 24564L << 20)]
    [InlineData("H100", 81559L << 20)]
    public void Gpu_names_and_sizes(string text, long bytes) =>
        Assert.Equal(bytes / (1 << 20), GaLore.Planner.Devices.GpuCatalog.Resolve(text).CapacityBytes / (1 << 20));

    [Theory]
    [InlineData("24XB")]
    [InlineData("-5GiB")]
    [InlineData("0")]
    [InlineData("tpu")]
    public void Bad_gpus_are_input_errors(string text) =>
        Assert.Throws<PlannerInputException>(() => GaLore.Planner.Devices.GpuCatalog.Resolve(text));
}
