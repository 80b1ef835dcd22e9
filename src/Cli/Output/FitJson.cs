using System.Text.Json;
using GaLore.Planner.Fit;
using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
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
        j.WriteNumber("paged_bytes", r.Estimate.PagedBytes);
        j.WriteNumber("parameters", r.Parameters);
        j.WriteNumber("galore_parameters", r.GaLoreParameters);
        j.WriteNumber("trainable_parameters", r.TrainableParameters);
        j.WriteNumber("max_batch", r.MaxBatch);
        j.WriteNumber("max_seq", r.MaxSeq);
        WriteBreakdown(j, "breakdown", r.Breakdown);
        WriteParallel(j, r);
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
        j.WriteString("attention", s.Attention.Name());
        j.WriteString("runtime", s.Stack.Name);
        j.WriteBoolean("refresh_step", s.RefreshStep);
        if (s.Adapters is { } a) WriteAdapters(j, a, s.Model.Family.ModelType);
        j.WriteEndObject();
        j.WriteStartArray("suggestions");
        foreach (var sg in r.Suggestions)
        {
            j.WriteStartObject();
            j.WriteString("change", sg.Description);
            j.WriteString("group", sg.Group == SuggestionGroup.Adapter ? "adapter" : "full_parameter");
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

    /// <summary>Writes the GPU count, strategy, offload with its host memory, accumulation and the per-GPU model states
    /// (<c>peak_bytes</c> and <c>breakdown</c> are per GPU).</summary>
    public static void WriteParallel(Utf8JsonWriter j, FitResult r)
    {
        var p = r.Query.Step.Parallel;
        j.WriteNumber("gpus", p.Gpus);
        j.WriteString("strategy", p.Strategy.Name);
        j.WriteString("offload", Planner.Parallel.OffloadModes.Name(p.Offload));
        j.WriteNumber("grad_accum", p.GradAccum);
        j.WriteNumber("tokens_per_optimizer_step", r.TokensPerOptimizerStep);
        j.WriteNumber("host_bytes_per_gpu", r.Parallel?.HostBytesPerGpu ?? 0);
        j.WriteNumber("host_bytes_total", r.Parallel?.HostBytesTotal ?? 0);
        if (r.GpuSearch is { } g)
        {
            j.WriteStartObject("gpus_auto");
            j.WriteBoolean("found", g.Found);
            j.WriteNumber("searched_from", g.From);
            j.WriteNumber("searched_to", g.To);
            j.WriteEndObject();
        }
        if (r.Parallel is not { } ps) return;
        j.WriteString("precision_layout", ps.Layout.Description);
        j.WriteStartObject("model_states_per_gpu");
        j.WriteNumber("weights", ps.ModelStates.Weights);
        j.WriteNumber("gradients", ps.ModelStates.Gradients);
        j.WriteNumber("optimizer_states", ps.ModelStates.OptimizerStates);
        j.WriteEndObject();
        if (ps.DdpBucketBytes > 0) j.WriteNumber("ddp_bucket_bytes", ps.DdpBucketBytes);
        if (p.IsDistributed) j.WriteString("basis", Planner.Parallel.Parallelism.NotMeasured);
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

    /// <summary>Writes the adapter fields (peft's LoraConfig and the base's quantization).</summary>
    public static void WriteAdapters(Utf8JsonWriter j, Planner.Adapters.AdapterSetup a, string modelType)
    {
        j.WriteStartObject("peft");
        j.WriteString("method", a.Method.ToString().ToLowerInvariant());
        j.WriteNumber("r", a.Rank);
        j.WriteNumber("lora_alpha", a.Alpha);
        j.WriteNumber("lora_dropout", a.Dropout);
        j.WriteString("target_modules", (a.Targets ?? Planner.Adapters.PeftTargets.DefaultFor(modelType)).ToString());
        j.WriteString("base_quant", Planner.Adapters.AdapterSetup.Name(a.Quant));
        j.WriteBoolean("double_quant", a.DoubleQuant);
        j.WriteEndObject();
    }

    /// <summary>Writes the optimizer fields.</summary>
    public static void WriteOptimizer(Utf8JsonWriter j, OptimizerSetup o)
    {
        j.WriteString("optimizer", o.Spec.Name);
        j.WriteString("hf_name", o.Spec.HfName);
        j.WriteNumber("rank", o.GaLore.Rank);
        j.WriteNumber("update_proj_gap", o.GaLore.UpdateProjGap);
        j.WriteNumber("scale", o.GaLore.Scale);
        j.WriteString("proj_type", o.GaLore.ProjType.Name());
        j.WriteString("target_modules", o.Targets.ToString());
        j.WriteString("optim_args", o.Knobs.ToString());
    }
}
