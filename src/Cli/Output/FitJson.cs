using System.Text.Json;
using GaLore.Planner.Fit;
using GaLore.Planner.Memory;
using GaLore.Planner.Optimizers;

namespace GaLore.Cli.Output;

/// <summary>Renders a <see cref="FitResult"/> as one JSON object (all sizes in bytes).</summary>
public static class FitJson
{
    /// <summary>Writes the object; <paramref name="files"/> are the <c>--timeline</c> files written (omitted when none).</summary>
    public static void Write(Utf8JsonWriter j, FitResult r, IReadOnlyList<string>? files = null)
    {
        var q = r.Query;
        var s = q.Step;
        j.WriteStartObject();
        JsonOutput.WriteFormat(j, "fit");
        j.WriteBoolean("fits", r.Fits);
        j.WriteNumber("peak_bytes", r.Estimate.DeviceUsedBytes);
        j.WriteNumber("capacity_bytes", q.UsableBytes);
        j.WriteNumber("headroom_bytes", r.HeadroomBytes);
        j.WriteNumber("allocated_bytes", r.Estimate.AllocatedBytes);
        j.WriteNumber("reserved_bytes", r.Estimate.ReservedBytes);
        j.WriteNumber("parameters", r.Parameters);
        j.WriteNumber("galore_parameters", r.GaLoreParameters);
        j.WriteNumber("max_batch", r.MaxBatch);
        j.WriteNumber("max_seq", r.MaxSeq);
        WriteBreakdown(j, "breakdown", r.Breakdown);
        j.WriteString("peak_phase", r.Estimate.Phase);
        j.WriteString("peak_event", r.Estimate.Label);
        j.WriteStartObject("query");
        j.WriteString("model", s.Model.Name);
        j.WriteString("gpu", q.Gpu.Name);
        j.WriteNumber("gpu_total_bytes", q.Gpu.CapacityBytes);
        j.WriteNumber("reserve_bytes", q.ReserveBytes);
        j.WriteNumber("cuda_context_bytes", q.ContextBytes);
        WriteOptimizer(j, s.Optimizer);
        j.WriteString("dtype", s.Precision.Name);
        j.WriteNumber("batch", q.Batch);
        j.WriteNumber("seq", q.Seq);
        j.WriteBoolean("checkpointing", s.Checkpointing);
        j.WriteString("attention", s.Attention.ToString().ToLowerInvariant());
        j.WriteString("runtime", s.Stack.Name);
        j.WriteBoolean("refresh_step", s.RefreshStep);
        j.WriteEndObject();
        j.WriteStartArray("suggestions");
        foreach (var sg in r.Suggestions)
        {
            j.WriteStartObject();
            j.WriteString("change", sg.Description);
            j.WriteString("flags", sg.Arguments);
            j.WriteNumber("peak_bytes", sg.Estimate.DeviceUsedBytes);
            j.WriteEndObject();
        }
        j.WriteEndArray();
        if (r.Alternatives is { } alt)
        {
            j.WriteStartObject("alternatives");
            j.WriteNumber("max_batch_with_checkpointing", alt.MaxBatchWithCheckpointing);
            j.WriteStartArray("gpus_that_fit");
            foreach (var g in alt.Gpus)
            {
                j.WriteStartObject();
                j.WriteString("gpu", g.Gpu.Name);
                j.WriteNumber("peak_bytes", g.PeakBytes);
                j.WriteNumber("capacity_bytes", g.UsableBytes);
                j.WriteEndObject();
            }
            j.WriteEndArray();
            j.WriteEndObject();
        }
        j.WriteStartArray("warnings");
        foreach (var w in r.Warnings) j.WriteStringValue(w);
        j.WriteEndArray();
        if (files is { Count: > 0 })
        {
            j.WriteStartArray("timeline_files");
            foreach (var f in files) j.WriteStringValue(f);
            j.WriteEndArray();
        }
        j.WriteEndObject();
    }

    /// <summary>Writes the five-row breakdown object.</summary>
    public static void WriteBreakdown(Utf8JsonWriter j, string name, CategoryBytes b)
    {
        j.WriteStartObject(name);
        j.WriteNumber("weights", b.Weights);
        j.WriteNumber("gradients", b.Gradients);
        j.WriteNumber("optimizer_states", b.OptimizerStates);
        j.WriteNumber("activations", b.Activations);
        j.WriteNumber("other", b.Other);
        j.WriteEndObject();
    }

    /// <summary>Writes the optimizer fields.</summary>
    public static void WriteOptimizer(Utf8JsonWriter j, OptimizerSetup o)
    {
        j.WriteString("optimizer", o.Spec.Name);
        j.WriteNumber("rank", o.GaLore.Rank);
        j.WriteNumber("update_proj_gap", o.GaLore.UpdateProjGap);
        j.WriteNumber("scale", o.GaLore.Scale);
        j.WriteString("proj_type", o.GaLore.ProjType.Name());
        j.WriteString("target_modules", o.Targets.ToString());
        j.WriteString("optim_args", o.Knobs.ToString());
    }
}
