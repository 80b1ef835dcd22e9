using System.CommandLine;
using System.Text.Json;
using GaLore.Cli.Options;
using GaLore.Cli.Output;
using GaLore.Cli.Snapshots;
using GaLore.Planner.Fit;
using GaLore.Planner.Memory.Graph;

namespace GaLore.Cli.Commands;

/// <summary>
/// <c>galore-plan compare-snapshot FILE</c>: reads a PyTorch CUDA memory snapshot (<c>torch.cuda.memory._dump_snapshot</c>) of
/// the user's own run, replays its trace into the measured allocated timeline, and prints the measured peak, its phase and
/// what was alive at it beside the planner's prediction and timeline for the same step options.
/// </summary>
public static class CompareSnapshotCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var file = new Argument<string>("snapshot") { Description = "Pickle written by torch.cuda.memory._dump_snapshot (plain or .gz)" };
        var deviceIndex = new Option<int>("--device-index") { Description = "Which CUDA device's trace to read (default 0)", DefaultValueFactory = _ => 0 };
        var top = new Option<int>("--top") { Description = "Largest allocations alive at the peak to list (default 8)", DefaultValueFactory = _ => 8 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (bytes) instead of text" };
        var step = new StepOptions();
        var gpu = new GpuOptions();
        var cmd = new Command("compare-snapshot",
            "Compare a PyTorch memory snapshot of your own training step (torch.cuda.memory._record_memory_history, then _dump_snapshot) " +
            "with the planner's prediction for the same step options: measured and predicted allocated and reserved peaks, the phase of " +
            "each peak, the largest total in each phase, and what was alive at the measured peak.")
        {
            file, deviceIndex, top, json,
        };
        step.AddTo(cmd);
        gpu.AddTo(cmd);
        cmd.SetAction(r =>
        {
            int n = r.GetValue(top);
            if (n < 0) throw new GaLore.Planner.PlannerInputException($"--top must not be negative, got {n}");
            var query = new FitQuery(step.Bind(r), step.BindBatch(r), step.BindSeq(r), gpu.BindGpu(r), gpu.BindContextBytes(r), gpu.BindReserveBytes(r));
            var path = r.GetValue(file)!;
            var replay = SnapshotReplay.Of(MemorySnapshot.Load(path), r.GetValue(deviceIndex));
            var comparison = SnapshotComparison.Of(replay, query);
            var output = r.InvocationConfiguration.Output;
            if (r.GetValue(json)) JsonOutput.Print(output, j => WriteJson(j, path, comparison, n));
            else WriteText(output, path, comparison, n);
            return 0;
        });
        return cmd;
    }

    static readonly StepPhase[] TimelinePhases = [StepPhase.ModelBuild, StepPhase.Forward, StepPhase.Backward, StepPhase.OptimizerStep, StepPhase.Other];

    static void WriteText(TextWriter w, string path, SnapshotComparison c, int top)
    {
        var m = c.Replay;
        var q = c.Query;
        var s = q.Step;
        w.WriteLine($"Snapshot   {path}: {Units.Count(m.Entries)} trace entries, {Units.Count(m.Allocations)} allocations" +
                    (m.StacksRecorded ? ", with stacks" : ", no stacks (phases cannot be told)"));
        w.WriteLine($"Step       {s.Model.Name} · {s.Optimizer.Spec.Name} · {s.Precision.Name} · batch {q.Batch} × {q.Seq} · attention " +
                    $"{s.Attention.Name()}{(s.Checkpointing ? " · checkpointing" : "")} · runtime {s.Stack.Name}" +
                    $"{(s.RefreshStep ? "" : " · no refresh")} · {q.Gpu.DisplayName}");
        w.WriteLine();
        var t = new TextTable("", "measured", "predicted", "error");
        t.Add("allocated peak", Units.Gib(m.PeakAllocatedBytes), Units.Gib(c.Predicted.AllocatedBytes), Percent(c.AllocatedError));
        t.Add("reserved peak", Units.Gib(m.PeakReservedBytes), Units.Gib(c.Predicted.ReservedBytes), Percent(c.ReservedError));
        t.Add("peak during", m.PeakPhase.Label(), c.PredictedPeakPhase.Label(), m.PeakPhase == c.PredictedPeakPhase ? "same" : "differs");
        t.WriteTo(w, "  ");
        w.WriteLine($"  measured peak at trace entry {m.PeakIndex} ({m.PeakWhere}); predicted at {c.Predicted.Phase} ({c.Predicted.Label})");
        w.WriteLine($"  measured: requested bytes alive at the peak {Units.Gib(m.PeakRequestedBytes)}; allocated before recording {Units.Gib(m.StartAllocatedBytes)}");
        w.WriteLine();
        w.WriteLine("Largest allocated total in each phase (GiB)");
        var pt = new TextTable("phase", "measured", "predicted", "error");
        foreach (var p in TimelinePhases)
        {
            bool hasM = m.PhasePeaks.TryGetValue(p, out long mb), hasP = c.PredictedPhasePeaks.TryGetValue(p, out long pb);
            if (!hasM && !hasP) continue;
            pt.Add(p.Label(), hasM ? Units.GibNumber(mb) : "-", hasP ? Units.GibNumber(pb) : "-", hasM && hasP ? Percent(SnapshotComparison.Error(pb, mb)) : "");
        }
        pt.WriteTo(w, "  ");
        w.WriteLine();
        w.WriteLine("Alive at the measured peak, by the phase that allocated it        Planner's breakdown at its peak");
        var alive = m.AliveAtPeak.GroupBy(a => a.Phase).ToDictionary(g => g.Key, g => (Bytes: g.Sum(a => a.AllocatedBytes), Count: g.Count()));
        var b = c.AllocatedBreakdown;
        var left = new List<(string, string)>();
        foreach (var p in new[] { StepPhase.BeforeRecording, StepPhase.ModelBuild, StepPhase.Forward, StepPhase.Backward, StepPhase.OptimizerStep, StepPhase.Other })
            if (alive.TryGetValue(p, out var v)) left.Add((p.Label(), $"{Units.GibNumber(v.Bytes)} GiB ({Units.Count(v.Count)} blocks)"));
        var right = new[] { ("weights", b.Weights), ("gradients", b.Gradients), ("optimizer states", b.OptimizerStates), ("activations", b.Activations),
            ("other", b.Other), ("total", b.Total) }.Select(x => (x.Item1, Units.GibNumber(x.Item2) + " GiB")).ToList();
        for (int i = 0; i < Math.Max(left.Count, right.Count); i++)
        {
            string l = i < left.Count ? $"  {left[i].Item1,-17}{left[i].Item2}" : "";
            string rr = i < right.Count ? $"{right[i].Item1,-17}{right[i].Item2}" : "";
            w.WriteLine($"{l,-66}{rr}");
        }
        w.WriteLine("  (planner's other = update transients, allocator rounding and the cuBLAS workspace; the CUDA context is outside the allocator)");
        if (top > 0 && m.AliveAtPeak.Count > 0)
        {
            w.WriteLine();
            w.WriteLine($"Largest allocations alive at the measured peak");
            var lt = new TextTable("MiB", "phase", "allocated at");
            foreach (var a in m.AliveAtPeak.Take(top)) lt.Add((a.AllocatedBytes / (double)(1 << 20)).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture), a.Phase.Label(), a.Where);
            lt.WriteTo(w, "  ");
        }
        w.WriteLine("(GiB = 2^30 bytes; error = (predicted − measured) / measured)");
    }

    static string Percent(double e) => double.IsNaN(e) ? "" : (e >= 0 ? "+" : "") + (e * 100).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " %";

    static void WriteRatio(Utf8JsonWriter j, string name, double value)
    {
        if (double.IsNaN(value)) j.WriteNull(name);
        else j.WriteNumber(name, value);
    }

    static void WriteJson(Utf8JsonWriter j, string path, SnapshotComparison c, int top)
    {
        var m = c.Replay;
        j.WriteStartObject();
        j.WriteString("snapshot", path);
        j.WriteNumber("trace_entries", m.Entries);
        j.WriteNumber("allocations", m.Allocations);
        j.WriteBoolean("stacks_recorded", m.StacksRecorded);
        j.WriteStartObject("measured");
        j.WriteNumber("allocated_peak_bytes", m.PeakAllocatedBytes);
        j.WriteNumber("requested_at_peak_bytes", m.PeakRequestedBytes);
        j.WriteNumber("reserved_peak_bytes", m.PeakReservedBytes);
        j.WriteNumber("allocated_before_recording_bytes", m.StartAllocatedBytes);
        j.WriteNumber("peak_trace_index", m.PeakIndex);
        j.WriteString("peak_phase", m.PeakPhase.Label());
        j.WriteString("peak_where", m.PeakWhere);
        j.WriteStartObject("phase_peak_bytes");
        foreach (var (p, v) in m.PhasePeaks.OrderBy(x => x.Key)) j.WriteNumber(p.Label(), v);
        j.WriteEndObject();
        j.WriteStartObject("alive_at_peak_bytes");
        foreach (var g in m.AliveAtPeak.GroupBy(a => a.Phase).OrderBy(g => g.Key)) j.WriteNumber(g.Key.Label(), g.Sum(a => a.AllocatedBytes));
        j.WriteEndObject();
        j.WriteStartArray("largest_alive_at_peak");
        foreach (var a in m.AliveAtPeak.Take(top))
        {
            j.WriteStartObject();
            j.WriteNumber("bytes", a.AllocatedBytes);
            j.WriteNumber("requested_bytes", a.RequestedBytes);
            j.WriteString("phase", a.Phase.Label());
            j.WriteString("where", a.Where);
            j.WriteEndObject();
        }
        j.WriteEndArray();
        j.WriteEndObject();
        j.WriteStartObject("predicted");
        j.WriteNumber("allocated_peak_bytes", c.Predicted.AllocatedBytes);
        j.WriteNumber("reserved_peak_bytes", c.Predicted.ReservedBytes);
        j.WriteNumber("device_used_bytes", c.Predicted.DeviceUsedBytes);
        j.WriteString("peak_phase", c.PredictedPeakPhase.Label());
        j.WriteString("peak_planner_phase", c.Predicted.Phase);
        j.WriteString("peak_event", c.Predicted.Label);
        j.WriteStartObject("phase_peak_bytes");
        foreach (var (p, v) in c.PredictedPhasePeaks.OrderBy(x => x.Key)) j.WriteNumber(p.Label(), v);
        j.WriteEndObject();
        FitJson.WriteBreakdown(j, "allocated_breakdown", c.AllocatedBreakdown);
        j.WriteEndObject();
        WriteRatio(j, "allocated_error", c.AllocatedError);
        WriteRatio(j, "reserved_error", c.ReservedError);
        j.WriteStartObject("query");
        j.WriteString("model", c.Query.Step.Model.Name);
        FitJson.WriteOptimizer(j, c.Query.Step.Optimizer);
        j.WriteString("dtype", c.Query.Step.Precision.Name);
        j.WriteNumber("batch", c.Query.Batch);
        j.WriteNumber("seq", c.Query.Seq);
        j.WriteBoolean("checkpointing", c.Query.Step.Checkpointing);
        j.WriteString("attention", c.Query.Step.Attention.Name());
        j.WriteString("runtime", c.Query.Step.Stack.Name);
        j.WriteBoolean("refresh_step", c.Query.Step.RefreshStep);
        j.WriteString("gpu", c.Query.Gpu.Name);
        j.WriteEndObject();
        j.WriteEndObject();
    }
}
