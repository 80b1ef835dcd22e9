using GaLore.Planner.Fit;
using GaLore.Planner.Memory;
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
        w.WriteLine($"Model      {s.Model.Name}: {Units.Params(r.Parameters)} parameters, {Units.Params(r.GaLoreParameters)} projected by GaLore");
        w.WriteLine($"Optimizer  {Describe(s.Optimizer)}");
        w.WriteLine($"Step       {s.Precision.Name} · batch {q.Batch} × {q.Seq} tokens · attention {s.Attention.ToString().ToLowerInvariant()}" +
                    $"{(s.Checkpointing ? " · activation checkpointing" : "")} · runtime {s.Stack.Name}{(s.RefreshStep ? "" : " · no refresh")}");
        w.WriteLine($"GPU        {q.Gpu.DisplayName}: {Units.Gib(q.Gpu.CapacityBytes)}" +
                    (q.ReserveBytes > 0 ? $", {Units.Gib(q.ReserveBytes)} reserved → {Units.Gib(q.UsableBytes)} usable" : ""));
        w.WriteLine();
        double used = r.Estimate.DeviceUsedBytes / (double)q.UsableBytes;
        w.WriteLine(r.Fits
            ? $"FITS: predicted peak {Units.Gib(r.Estimate.DeviceUsedBytes)} of {Units.Gib(q.UsableBytes)} ({Units.Percent(used)}), headroom {Units.Gib(r.HeadroomBytes)}"
            : $"DOES NOT FIT: predicted peak {Units.Gib(r.Estimate.DeviceUsedBytes)}, {Units.Gib(-r.HeadroomBytes)} more than the {Units.Gib(q.UsableBytes)} available");
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
        w.WriteLine();
        w.WriteLine(r.MaxBatch > 0
            ? $"Largest batch that fits at {q.Seq} tokens: {(r.MaxBatch >= FitCalculator.BatchSearchLimit ? $"{r.MaxBatch}+" : r.MaxBatch.ToString())}"
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
            var st = new TextTable("change", "peak GiB", "flags");
            foreach (var sg in r.Suggestions) st.Add(sg.Description, Units.GibNumber(sg.Estimate.DeviceUsedBytes), sg.Arguments);
            st.WriteTo(w, "  ");
        }
        else if (!r.Fits)
        {
            w.WriteLine();
            w.WriteLine("No combination of up to three standard changes makes it fit: choose a larger GPU or a smaller model.");
        }
        foreach (var warning in r.Warnings) w.WriteLine($"note: {warning}");
        w.WriteLine("(GiB = 2^30 bytes)");
    }

    static IEnumerable<string> GpuList(IReadOnlyList<GpuThatFits> gpus)
    {
        foreach (var g in gpus) yield return $"{g.Gpu.Name} ({Units.Gib(g.PeakBytes)} of {Units.Gib(g.UsableBytes)})";
    }

    /// <summary>One-line description of an optimizer setup.</summary>
    public static string Describe(OptimizerSetup o)
    {
        if (!o.Spec.GaLore) return o.Spec.Name;
        var g = o.GaLore;
        return $"{o.Spec.Name} (rank {g.Rank}, update_proj_gap {g.UpdateProjGap}, scale {g.Scale:0.###}, proj_type {g.ProjType.Name()}, targets {o.Targets})";
    }
}
