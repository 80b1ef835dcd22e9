using GaLore.Planner.Fit;
using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Optimizers;

namespace GaLore.Cli.Output;

/// <summary>Renders a <see cref="FitResult"/> for people.</summary>
public static class FitText
{
    /// <summary>Writes the verdict, the breakdown, the largest batch and any suggestions.</summary>
    public static void Write(TextWriter w, FitResult r)
    {
        var q = r.Query;
        var s = q.Step;
        if (s.Adapters is { } peft)
        {
            double share = r.TrainableParameters / (double)r.Parameters;
            string percent = (share * 100).ToString("0.####", System.Globalization.CultureInfo.InvariantCulture);
            w.WriteLine($"Model      {s.Model.Name}: {Units.Params(r.Parameters)} parameters; trains {Units.Count(r.TrainableParameters)} parameters ({percent} % of the model)");
            w.WriteLine($"Adapters   {peft.Describe(s.Model.Family.ModelType)}");
        }
        else w.WriteLine($"Model      {s.Model.Name}: {Units.Params(r.Parameters)} parameters, {Units.Params(r.GaLoreParameters)} projected by GaLore");
        w.WriteLine($"Optimizer  {Describe(s.Optimizer)}");
        w.WriteLine($"Step       {s.Precision.Name} · batch {q.Batch} × {q.Seq} tokens · attention {s.Attention.Name()}" +
                    $"{(s.Checkpointing ? " · activation checkpointing" : "")} · runtime {s.Stack.Name}{(s.RefreshStep ? "" : " · no refresh")}");
        w.WriteLine($"GPU        {q.Gpu.DisplayName}: {Units.Gib(q.Gpu.CapacityBytes)}" +
                    (q.ReserveBytes > 0 ? $", {Units.Gib(q.ReserveBytes)} reserved → {Units.Gib(q.UsableBytes)} usable" : ""));
        if (r.Parallel is { } par) WriteParallel(w, r, par);
        w.WriteLine();
        double used = r.Estimate.DeviceUsedBytes / (double)q.UsableBytes;
        string perGpu = r.Parallel is not null ? " per GPU" : "";
        w.WriteLine(r.Fits
            ? $"FITS: predicted peak{perGpu} {Units.Gib(r.Estimate.DeviceUsedBytes)} of {Units.Gib(q.UsableBytes)} ({Units.Percent(used)}), headroom {Units.Gib(r.HeadroomBytes)}"
            : $"DOES NOT FIT: predicted peak{perGpu} {Units.Gib(r.Estimate.DeviceUsedBytes)}, {Units.Gib(-r.HeadroomBytes)} more than the {Units.Gib(q.UsableBytes)} available");
        w.WriteLine($"Peak during {r.Estimate.Phase} ({r.Estimate.Label})");
        w.WriteLine();
        var b = r.Breakdown;
        var t = new TextTable("component", "GiB", "share");
        void Row(string name, long bytes) => t.Add(name, Units.GibNumber(bytes), Units.Percent(bytes / (double)b.Total));
        Row("weights", b.Weights);
        Row("gradients", b.Gradients);
        Row("optimizer states", b.OptimizerStates);
        Row("activations", b.Activations);
        Row("other", b.Other);
        t.Add("total", Units.GibNumber(b.Total), "");
        t.WriteTo(w, "  ");
        w.WriteLine($"  other = optimizer-step transients + allocator rounding + cuBLAS workspace + CUDA context ({Units.Gib(q.ContextBytes)})");
        w.WriteLine($"  allocated peak {Units.Gib(r.Estimate.AllocatedBytes)}, reserved peak {Units.Gib(r.Estimate.ReservedBytes)}");
        if (r.Parallel is { } ps)
        {
            var m = ps.ModelStates;
            w.WriteLine($"  model states per GPU (ZeRO's terms): weights {Units.Gib(m.Weights)}, gradients {Units.Gib(m.Gradients)}, " +
                        $"optimizer states {Units.Gib(m.OptimizerStates)}; total {Units.Gib(m.Weights + m.Gradients + m.OptimizerStates)}");
            if (ps.DdpBucketBytes > 0)
                w.WriteLine($"  DDP gradient buckets {Units.Gib(ps.DdpBucketBytes)} per GPU beside .grad (gradient_as_bucket_view=False, the default; True makes .grad views into them)");
            if (ps.Parallel.Offload != Planner.Parallel.OffloadMode.None)
                w.WriteLine($"  host memory for the offload: {Units.Gib(ps.HostBytesPerGpu)} per GPU process, {Units.Gib(ps.HostBytesTotal)} for all {ps.Parallel.Gpus} (pinned)");
        }
        w.WriteLine();
        string micro = r.Parallel is not null ? "micro-batch per GPU" : "batch";
        w.WriteLine(r.MaxBatch > 0
            ? $"Largest {micro} that fits at {q.Seq} tokens: {(r.MaxBatch >= FitCalculator.BatchSearchLimit ? $"{r.MaxBatch}+" : r.MaxBatch.ToString())}"
            : $"Even batch 1 does not fit at {q.Seq} tokens.");
        w.WriteLine(r.MaxSeq > 0
            ? $"Longest sequence that fits at batch {q.Batch}: {(r.MaxSeq >= Planner.Search.AxisSearch.SeqSearchLimit ? $"{r.MaxSeq}+" : r.MaxSeq.ToString())} tokens"
            : $"Not even one token fits at batch {q.Batch}.");
        if (r.Alternatives is { } alt)
        {
            if (!s.Checkpointing)
                w.WriteLine(alt.MaxBatchWithCheckpointing > 0
                    ? $"Largest batch with activation checkpointing at {q.Seq} tokens: {alt.MaxBatchWithCheckpointing}{(alt.MaxBatchWithCheckpointing >= FitCalculator.BatchSearchLimit ? "+" : "")} (--checkpointing)"
                    : $"With activation checkpointing, still no batch fits at {q.Seq} tokens.");
            w.WriteLine(alt.Gpus.Count > 0
                ? "Catalogue GPUs on which this run fits: " + string.Join(", ", GpuList(alt.Gpus))
                : "No GPU of the catalogue fits this run as it is.");
        }
        if (r.Suggestions.Count > 0)
        {
            w.WriteLine();
            w.WriteLine("Cheapest changes that make it fit:");
            foreach (var (group, heading) in new[]
                     {
                         (SuggestionGroup.FullParameter, "full-parameter training"),
                         (SuggestionGroup.Adapter, "adapter fine-tuning (trains fewer parameters)"),
                     })
            {
                var st = new TextTable("change", "peak GiB", "flags");
                int rows = 0;
                foreach (var sg in r.Suggestions)
                    if (sg.Group == group)
                    {
                        st.Add(sg.Description, Units.GibNumber(sg.Estimate.DeviceUsedBytes), sg.Arguments);
                        rows++;
                    }
                if (rows == 0) continue;
                w.WriteLine($"  {heading}:");
                st.WriteTo(w, "    ");
            }
        }
        else if (!r.Fits)
        {
            w.WriteLine();
            w.WriteLine("No combination of up to three standard changes makes it fit: choose a larger GPU or a smaller model.");
        }
        foreach (var warning in r.Warnings) w.WriteLine($"note: {warning}");
        if (r.Parallel is { Parallel.IsDistributed: true }) w.WriteLine($"note: several GPUs are {Planner.Parallel.Parallelism.NotMeasured} (this project measures one device)");
        w.WriteLine("(GiB = 2^30 bytes)");
    }

    /// <summary>The GPUs line (count, engine, how the count was chosen), tokens per optimizer step, and the dtypes assumed.</summary>
    static void WriteParallel(TextWriter w, FitResult r, Planner.Parallel.ParallelSummary ps)
    {
        var q = r.Query;
        var p = ps.Parallel;
        string how = r.GpuSearch switch
        {
            null => "",
            { Found: true, From: var a, To: var b } when a == b => " (--gpus auto)",
            { Found: true, From: var a, To: var b } => $": the fewest that fit (--gpus auto, searched {a} to {b})",
            { From: var a, To: var b } when a == b => $": {p.Strategy.Name} keeps a whole replica on every GPU, so no number of GPUs fits",
            { To: var b } => $": none from {r.GpuSearch.From} to {b} fits; shown for {b}",
        };
        string offload = p.Offload == Planner.Parallel.OffloadMode.None ? "" : $" · offload {Planner.Parallel.OffloadModes.Name(p.Offload)}";
        w.WriteLine(p.IsDistributed
            ? $"GPUs       {p.Gpus} × {p.Strategy.Name} ({p.Strategy.Engine}){offload}{how}"
            : $"GPUs       1 (no engine){how}");
        w.WriteLine($"           {q.Batch} × {q.Seq} tokens × grad-accum {p.GradAccum} × {p.Gpus} GPU{(p.Gpus == 1 ? "" : "s")} = " +
                    $"{Units.Count(r.TokensPerOptimizerStep)} tokens per optimizer step");
        w.WriteLine($"Layout     {ps.Layout.Description}");
    }

    static IEnumerable<string> GpuList(IReadOnlyList<GpuThatFits> gpus)
    {
        foreach (var g in gpus) yield return $"{g.Gpu.Name} ({Units.Gib(g.PeakBytes)} of {Units.Gib(g.UsableBytes)})";
    }

    /// <summary>One-line description of an optimizer setup.</summary>
    public static string Describe(OptimizerSetup o)
    {
        string knobs = o.Knobs.ToString();
        string hf = o.Spec.HfName is { } name && name != o.Spec.Name ? $" (HF: {name})" : "";
        if (!o.Spec.GaLore) return o.Spec.Name + hf + (knobs.Length > 0 ? $" (optim_args {knobs})" : "");
        var g = o.GaLore;
        return $"{o.Spec.Name} (rank {g.Rank}, update_proj_gap {g.UpdateProjGap}, scale {g.Scale:0.###}, proj_type {g.ProjType.Name()}, " +
               $"targets {o.Targets}{(knobs.Length > 0 ? ", " + knobs : "")})";
    }
}
