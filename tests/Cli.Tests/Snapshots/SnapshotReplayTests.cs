using System.IO.Compression;
using System.Text.Json;
using GaLore.Cli.Snapshots;
using GaLore.Planner;
using GaLore.Planner.Devices;
using GaLore.Planner.Fit;
using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;

namespace GaLore.Cli.Tests.Snapshots;

/// <summary>
/// The snapshot reader against <c>fixture-step.pickle</c>, written by <c>scripts/gpu/make_snapshot_fixture.py</c> with Python's
/// pickle in the format <c>torch.cuda.memory._snapshot()</c> documents. Its timeline (requested bytes; counted rounded up to
/// 512 B): before recording W1 = 4 MiB (active at the end) and W2 = 1000 B (freed in the trace); model build W3 = 2 MiB;
/// forward A1 = 3 MiB, A2 = 1 MiB + 100 B (freed); backward G1 = 2 MiB (no stack), A1 and W2 freed; optimizer S1 = 5 MiB,
/// T1 = 700 B (freed), then G1 freed. Segments: 5 MiB before recording, +20 MiB, +2 MiB, −2 MiB.
/// </summary>
public class SnapshotReplayTests
{
    const long MiB = 1 << 20;
    static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "Snapshots", "fixture-step.pickle");

    static SnapshotReplay Replay(string path) => SnapshotReplay.Of(MemorySnapshot.Load(path), 0);

    [Fact]
    public void Replays_the_allocated_timeline_from_before_recording_to_the_peak()
    {
        var r = Replay(Fixture);
        Assert.Equal(19, r.Entries);
        Assert.Equal(6, r.Allocations);
        Assert.True(r.StacksRecorded);
        Assert.Equal(4 * MiB + 1024, r.StartAllocatedBytes);            // W1 + W2 (1000 B → 1024)
        Assert.Equal(13 * MiB + 1024, r.PeakAllocatedBytes);            // W1 + W3 + G1 + S1 + T1 (700 B → 1024)
        Assert.Equal(13 * MiB + 700, r.PeakRequestedBytes);
        Assert.Equal(13, r.PeakIndex);                                   // T1's alloc
        Assert.Equal(StepPhase.OptimizerStep, r.PeakPhase);
        Assert.Equal("adamw.py:150 _init_group", r.PeakWhere);
    }

    [Fact]
    public void Knows_what_was_alive_at_the_peak_by_the_phase_that_allocated_it()
    {
        var alive = Replay(Fixture).AliveAtPeak.GroupBy(a => a.Phase).ToDictionary(g => g.Key, g => (g.Sum(a => a.AllocatedBytes), g.Count()));
        Assert.Equal((4 * MiB, 1), alive[StepPhase.BeforeRecording]);
        Assert.Equal((2 * MiB, 1), alive[StepPhase.ModelBuild]);
        Assert.Equal((2 * MiB, 1), alive[StepPhase.Backward]);          // G1: no Python stack, autograd's thread
        Assert.Equal((5 * MiB + 1024, 2), alive[StepPhase.OptimizerStep]);
        Assert.False(alive.ContainsKey(StepPhase.Forward));              // A1 and A2 were freed before the peak
    }

    [Fact]
    public void Largest_total_reached_in_each_phase()
    {
        var p = Replay(Fixture).PhasePeaks;
        Assert.Equal(6 * MiB + 1024, p[StepPhase.ModelBuild]);
        Assert.Equal(10 * MiB + 1536, p[StepPhase.Forward]);             // A2: 1 MiB + 100 B → 1 MiB + 512
        Assert.Equal(11 * MiB + 1024, p[StepPhase.Backward]);
        Assert.Equal(13 * MiB + 1024, p[StepPhase.OptimizerStep]);
    }

    [Fact]
    public void Reserved_timeline_is_recovered_from_segment_actions_back_from_the_final_segments()
    {
        var r = Replay(Fixture);
        Assert.Equal(25 * MiB, r.EndReservedBytes);
        Assert.Equal(5 * MiB, r.StartReservedBytes);
        Assert.Equal(27 * MiB, r.PeakReservedBytes);
    }

    [Fact]
    public void Reads_a_gzip_compressed_snapshot_the_same()
    {
        string gz = Path.Combine(Path.GetTempPath(), $"snapshot-{Guid.NewGuid():N}.pickle.gz");
        try
        {
            using (var input = File.OpenRead(Fixture))
            using (var output = new GZipStream(File.Create(gz), CompressionLevel.Fastest))
                input.CopyTo(output);
            var r = Replay(gz);
            Assert.Equal((13 * MiB + 1024, 13), (r.PeakAllocatedBytes, r.PeakIndex));
        }
        finally { File.Delete(gz); }
    }

    [Fact]
    public void Without_free_requested_entries_the_frees_are_read_from_free_completed()
    {
        SnapshotTraceEntry E(string action, long addr, long size) => new(action, addr, size, []);
        var trace = new[] { E("alloc", 1, 4096), E("alloc", 2, 8192), E("free_completed", 1, 4096), E("alloc", 3, 1024) };
        var r = SnapshotReplay.Of(new MemorySnapshot([], [trace]), 0);
        Assert.Equal(12288, r.PeakAllocatedBytes);
        Assert.Equal(1, r.PeakIndex);
        Assert.False(r.StacksRecorded);
        Assert.Equal(StepPhase.Other, r.PeakPhase);                      // no stacks anywhere: nothing to tell
    }

    [Fact]
    public void Frames_place_layerwise_updates_and_checkpoint_recomputation()
    {
        SnapshotFrame F(string file, string name) => new(file, 1, name);
        var hook = new[] { F("/x/torch/optim/adamw.py", "step"), F("/x/transformers/trainer.py", "optimizer_hook"), F("/x/torch/autograd/graph.py", "_engine_run_backward") };
        var recompute = new[] { F("/x/transformers/models/llama/modeling_llama.py", "forward"), F("/x/torch/utils/checkpoint.py", "recompute_fn"),
            F("/x/torch/utils/checkpoint.py", "unpack_hook") };
        var loss = new[] { F("/x/transformers/loss/loss_utils.py", "ForCausalLMLoss"), F("/x/modeling_llama.py", "forward") };
        Assert.Equal(StepPhase.OptimizerStep, FramePhase.Classify(hook, true));
        Assert.Equal(StepPhase.Backward, FramePhase.Classify(recompute, true));
        Assert.Equal(StepPhase.Forward, FramePhase.Classify(loss, true));
        Assert.Equal(StepPhase.Other, FramePhase.Classify([], false));
        Assert.Equal(StepPhase.Backward, FramePhase.Classify([], true));
    }

    [Theory]
    [InlineData("forward: block 3/24", "forward mlp: up", StepPhase.Forward)]
    [InlineData("backward: block (recomputed) 2/24", "backward attn: dq", StepPhase.Backward)]
    [InlineData("backward: block 5/32", "layerwise update of down_proj", StepPhase.OptimizerStep)]
    [InlineData("backward: block 5/32", "layerwise: grad of down_proj freed", StepPhase.Backward)]
    [InlineData("optimizer step: block 1/24", "optimizer step: update q_proj", StepPhase.OptimizerStep)]
    [InlineData("zero_grad", "zero_grad: gradients freed", StepPhase.OptimizerStep)]
    [InlineData("start", "persistent", StepPhase.BeforeRecording)]
    public void Planner_phases_map_onto_the_coarse_phases(string phase, string label, StepPhase expected) =>
        Assert.Equal(expected, StepPhases.OfPlannerPhase(phase, label));

    [Fact]
    public void Files_that_are_not_snapshots_are_bad_input()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"snapshot-bad-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            Assert.Throws<PlannerInputException>(() => MemorySnapshot.Load(Path.Combine(dir, "missing.pickle")));
            string text = Path.Combine(dir, "text.pickle");
            File.WriteAllText(text, "this is not a pickle");
            Assert.Throws<PlannerInputException>(() => MemorySnapshot.Load(text));
            string list = Path.Combine(dir, "list.pickle");
            File.WriteAllBytes(list, [0x80, 0x02, (byte)']', (byte)'q', 0x00, (byte)'.']);  // pickle.dumps([], protocol=2)
            Assert.Contains("not a dictionary", Assert.Throws<PlannerInputException>(() => MemorySnapshot.Load(list)).Message);
            Assert.Contains("device 1", Assert.Throws<PlannerInputException>(() => SnapshotReplay.Of(MemorySnapshot.Load(Fixture), 1)).Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Comparison_predicts_what_fit_predicts_for_the_same_step()
    {
        var step = new StepSpec(ModelPresets.Find("tiny")!, OptimizerSetup.FromName("adamw", GaLoreSettings.Default), new Precision(PrecisionMode.Bf16));
        var query = new FitQuery(step, 2, 64, GpuCatalog.Resolve("h200"));
        var c = SnapshotComparison.Of(Replay(Fixture), query);
        var fit = FitCalculator.Estimate(query);
        Assert.Equal(fit.AllocatedBytes, c.Predicted.AllocatedBytes);
        Assert.Equal(fit.AllocatedBytes, c.PredictedPhasePeaks.Values.Max());   // the timeline's maximum is the peak
        Assert.Equal(StepPhases.OfPlannerPhase(fit.Phase, fit.Label), c.PredictedPeakPhase);
        Assert.Equal((fit.AllocatedBytes - (13 * MiB + 1024)) / (double)(13 * MiB + 1024), c.AllocatedError, 12);
    }

    [Fact]
    public void Command_prints_measured_beside_predicted_and_json_in_bytes()
    {
        var (exit, text, err) = CliRunner.Run("compare-snapshot", Fixture, "--model", "tiny", "--optim", "adamw", "--gpu", "h200", "--batch", "2", "--seq", "64");
        Assert.Equal(0, exit);
        Assert.Equal("", err);
        Assert.Contains("allocated peak", text);
        Assert.Contains("peak during", text);
        Assert.Contains("adamw.py:150 _init_group", text);
        var (jexit, json, _) = CliRunner.Run("compare-snapshot", Fixture, "--model", "tiny", "--optim", "adamw", "--gpu", "h200", "--json");
        Assert.Equal(0, jexit);
        using var doc = JsonDocument.Parse(json);
        var measured = doc.RootElement.GetProperty("measured");
        Assert.Equal(13 * MiB + 1024, measured.GetProperty("allocated_peak_bytes").GetInt64());
        Assert.Equal("optimizer step", measured.GetProperty("peak_phase").GetString());
        Assert.Equal(27 * MiB, measured.GetProperty("reserved_peak_bytes").GetInt64());
    }

    [Fact]
    public void Command_rejects_a_missing_file_in_one_line()
    {
        var (exit, _, err) = CliRunner.Run("compare-snapshot", "/nonexistent/snap.pickle", "--model", "tiny");
        Assert.Equal(2, exit);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains("does not exist", err);
    }
}
