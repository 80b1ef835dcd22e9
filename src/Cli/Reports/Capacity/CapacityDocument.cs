using System.Globalization;
using GaLore.Cli.Output;
using GaLore.Planner.Capacity;
using GaLore.Planner.Devices;
using GaLore.Planner.Fit;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Parallel;
using GaLore.Planner.Search;

namespace GaLore.Cli.Reports.Capacity;

/// <summary>
/// The text of a capacity report (one <see cref="ReportDocument"/>, rendered to <c>report.md</c> and
/// <c>report.html</c>): the regenerating command, the settings and definitions, then per GPU the
/// recommendations, the charts and every configuration's verdict.
/// </summary>
public static class CapacityDocument
{
    /// <summary>Builds the document. <paramref name="figures"/> are the charts per (GPU, model) already drawn.</summary>
    public static ReportDocument Build(CapacityResult result, string command, IReadOnlyDictionary<GpuSpec, List<Figure>> figures)
    {
        var s = result.Settings;
        var doc = new ReportDocument("Capacity report: " + string.Join(", ", result.Gpus.Select(Describe)));
        doc.P("Regenerate this report from the repository root:");
        doc.Code(command);
        doc.P($"Predicted by `galore-plan`'s analytical planner (no GPU involved): {result.Rows.Count} configurations = " +
              $"{result.Gpus.Count} GPU{(result.Gpus.Count == 1 ? "" : "s")} × {result.Models.Count} models × {result.Optimizers.Count} optimizers. " +
              "**All sizes are GiB = 2³⁰ bytes.**");
        doc.H2("Settings");
        var g = s.GaLore;
        doc.List(
            $"Models: {string.Join(", ", result.Models.Select(m => $"`{m.Name}`"))}",
            $"Optimizers: {string.Join(", ", result.Optimizers.Select(o => $"`{o}`"))}",
            $"Precision `{s.Precision.Name}` · sequence length {s.Seq} · attention `{s.Attention.Name()}` · " +
            $"activation checkpointing {(s.Checkpointing ? "on" : "off")} · runtime `{s.Stack.Name}`",
            $"GaLore and APOLLO: rank {g.Rank}, proj_type `{g.ProjType.Name()}`, target modules `{s.Targets}` (APOLLO with HF's defaults: " +
            "random projection, channel-wise scaling); the predicted step " +
            (s.RefreshStep ? "includes a projector refresh (GaLore's SVD workspace; APOLLO's Gaussian draw, no SVD), as a run's peak does" : "has no projector refresh"),
            $"CUDA context {Units.Gib(s.ContextBytes)} outside the allocator; {Units.Gib(s.ReserveBytes)} reserved for other processes",
            "`+lora` / `+qlora` rows train peft adapters instead of every parameter: LoRA r 8, α 8 on the architecture's default targets " +
            "(`q_proj,v_proj` for Llama-style models) over a frozen 16-bit base, or over an NF4 base with double quantization (QLoRA); " +
            "float32 adapters, the optimizer's states for them only. They are a different kind of training and are never the recommendation");
        if (!s.Parallel.IsSingle) doc.P(ParallelText.Describe(s.Parallel, s.Precision));
        doc.H2("How to read it");
        doc.List(
            "**fits**: the predicted peak at batch 1 is at most the usable capacity. **peak** is device-used memory — the caching " +
            "allocator's reserved peak + cuBLAS workspace + CUDA context, what `nvidia-smi` shows. **headroom** = usable capacity − peak.",
            $"**max batch**: the largest micro-batch that fits at {s.Seq} tokens (exact; doubling then bisection; " +
            $"{FitCalculator.BatchSearchLimit}+ means the search limit was reached).",
            $"**max seq**: the longest sequence that fits at batch 1 (exact; probes 128, 256, …, {AxisSearch.SeqSearchLimit} then bisects; " +
            $"{AxisSearch.SeqSearchLimit}+ means the limit was reached). † marks lengths beyond the model's `max_position_embeddings`: " +
            "memory allows them, the model was not trained for them.",
            "**recommended**: among the full-parameter optimizers that fit, the most **tokens per step at the largest batch** (max batch × seq); ties go " +
            "to the lower peak at that batch, then to the optimizer listed first (so a non-layerwise optimizer wins over its layerwise twin " +
            "when both reach the same batch with the same peak — it keeps gradient accumulation). It is a memory-throughput proxy: it ignores optimizer compute (GaLore's periodic SVD, " +
            "8-bit quantisation), training quality (rank-r projection and 8-bit states are approximations of full AdamW), and that " +
            "layerwise updates cannot accumulate gradients. Plain AdamW's max batch is listed beside it for comparison.");
        foreach (var gpu in result.Gpus)
        {
            doc.H2(Describe(gpu));
            if (FitCalculator.Bf16Warning(s.Precision, gpu) is { } bf16) doc.P($"**Warning:** {bf16}.");
            doc.H3("Recommended configuration per model");
            doc.Table(Recommendations(result, gpu));
            foreach (var f in figures.GetValueOrDefault(gpu) ?? []) doc.Chart(f);
            doc.H3("Every configuration");
            doc.Table(AllRows(result, gpu));
            var invalid = result.Rows.Where(r => r.Gpu == gpu && r.Invalid is not null).ToList();
            if (invalid.Count > 0)
                doc.List(invalid.Select(r => $"n/a — {r.Model.Name} × {r.Optimizer}: {r.Invalid}"));
        }
        if (result.GpuCounts.Count > 0) GpuCounts(doc, result);
        doc.H2("Files");
        doc.List(
            "`report.md`, `report.html` — this report (the HTML page is self-contained: the chart images are inline, the links " +
            "to each chart's SVG and CSV point into `charts/`)",
            $"`{CapacityFiles.RowsCsv}` — one row per GPU × model × optimizer, with the breakdown at batch 1 (GiB), the searches and the recommendation flag",
            "`charts/*.png`, `charts/*.svg` — the charts; `charts/*.csv` — the numbers each chart draws");
        return doc;
    }

    /// <summary>The "how many GPUs" section: one row per model × strategy, one column per catalogue GPU.</summary>
    static void GpuCounts(ReportDocument doc, CapacityResult result)
    {
        var s = result.Settings;
        var gpus = result.GpuCounts.Select(c => c.Gpu).Distinct().ToList();
        doc.H2("How many GPUs");
        doc.P($"The fewest cards of each catalogue GPU on which one training step fits, per model and strategy: `{GpuCountTable.Optimizer}` " +
              $"(Hugging Face's default optimizer; layerwise optimizers refuse several processes and galore-torch cannot run under DeepSpeed), " +
              $"batch 1 × {s.Seq} tokens per GPU, one micro-batch, no offload, precision `{s.Precision.Name}` as each engine keeps it " +
              $"(DeepSpeed: bf16 weights and gradients with fp32 master weights and states; DDP and FSDP2: as asked), the report's other settings. " +
              $"Searched from 2 to {GpuCountSearch.GpuLimit} cards; **—** means none fits (DDP keeps a whole replica on every GPU, so more cards never help). " +
              $"**{Parallelism.NotMeasured[..1].ToUpperInvariant()}{Parallelism.NotMeasured[1..]}**: this project's machines have one GPU at most.");
        var columns = new List<Column> { new("model"), new("strategy") };
        columns.AddRange(gpus.Select(g => new Column(g.Name, true)));
        var t = new ReportTable(columns.ToArray());
        foreach (var group in result.GpuCounts.GroupBy(c => (c.Model, c.Strategy)))
        {
            var cells = new List<string> { group.Key.Model.Name, group.Key.Strategy.Name };
            cells.AddRange(gpus.Select(g => group.First(c => c.Gpu == g).Gpus is { } n ? Count(n) : "—"));
            t.Add(cells.ToArray());
        }
        doc.Table(t);
    }

    static ReportTable Recommendations(CapacityResult result, GpuSpec gpu)
    {
        int seq = result.Settings.Seq;
        var t = new ReportTable(new Column("model"), new Column("parameters", true), new Column("recommended optimizer"),
            new Column($"max batch @ {seq}", true), new Column("tokens per step", true), new Column("peak at max batch (GiB)", true),
            new Column("headroom at max batch (GiB)", true), new Column("plain AdamW max batch", true));
        foreach (var rec in result.Recommendations.Where(r => r.Gpu == gpu))
        {
            string adamw = rec.Reference is { } a ? (a.Invalid is null ? Batch(a.MaxBatch) : "n/a") : "—";
            if (rec.Pick is not { AtMaxBatch: { } peak } p)
            {
                t.Add(RowMark.Muted, rec.Model.Name, Units.Params(RowParameters(result, rec)), "nothing fits at batch 1", "0", "—", "—", "—", adamw);
                continue;
            }
            t.Add(rec.Model.Name, Units.Params(p.Parameters), $"`{p.Optimizer}`", Batch(p.MaxBatch),
                Count(p.TokensPerStep) + (p.MaxBatchCapped ? "+" : ""), Units.GibNumber(peak.DeviceUsedBytes),
                Units.GibNumber(p.UsableBytes - peak.DeviceUsedBytes), adamw);
        }
        return t;
    }

    static ReportTable AllRows(CapacityResult result, GpuSpec gpu)
    {
        int seq = result.Settings.Seq;
        var picks = result.Recommendations.Where(r => r.Gpu == gpu && r.Pick is not null).Select(r => r.Pick!).ToHashSet();
        var t = new ReportTable(new Column("model"), new Column("optimizer"), new Column("fits"), new Column($"peak @ 1×{seq} (GiB)", true),
            new Column("headroom (GiB)", true), new Column($"max batch @ {seq}", true), new Column("max seq @ batch 1", true));
        foreach (var r in result.Rows.Where(r => r.Gpu == gpu))
        {
            var mark = picks.Contains(r) ? RowMark.Highlight : r.Fits ? RowMark.None : RowMark.Muted;
            if (r.Batch1 is not { } e)
            {
                t.Add(mark, r.Model.Name, r.Optimizer, "n/a", "—", "—", "—", "—");
                continue;
            }
            t.Add(mark, r.Model.Name, r.Optimizer, r.Fits ? "yes" : "no", Units.GibNumber(e.DeviceUsedBytes), Units.GibNumber(r.HeadroomBytes),
                Batch(r.MaxBatch), r.MaxSeq == 0 ? "0" : Count(r.MaxSeq) + (r.MaxSeqCapped ? "+" : "") + (r.MaxSeqBeyondContext ? " †" : ""));
        }
        return t;
    }

    static long RowParameters(CapacityResult result, Recommendation rec) =>
        result.Rows.First(r => r.Gpu == rec.Gpu && r.Model == rec.Model).Parameters;

    /// <summary>"NVIDIA GeForce RTX 4090 (23.99 GiB)".</summary>
    public static string Describe(GpuSpec gpu) => $"{gpu.DisplayName} ({Units.Gib(gpu.CapacityBytes)})";

    static string Batch(int b) => b >= FitCalculator.BatchSearchLimit ? $"{Count(b)}+" : Count(b);

    static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
