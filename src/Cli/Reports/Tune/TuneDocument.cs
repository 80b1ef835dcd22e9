using GaLore.Planner.Optimizers;
using GaLore.Profiler.Tuning;
using static GaLore.Cli.Reports.Tune.TuneFormat;

namespace GaLore.Cli.Reports.Tune;

/// <summary>The charts of a tune report (null when not drawn).</summary>
public sealed record TuneFigures(Figure Memory, Figure Overhead, Figure? Loss);

/// <summary>
/// The text of <c>tune.md</c> / <c>tune.html</c>: the reproducing command, the recommendation and what it rests on, then
/// the evidence — memory per rank (predicted), projected shapes, refresh timings (measured), step time (measured or
/// estimated), overhead per T, the proxy's quality runs — and the rule itself. Sizes are GiB (2³⁰ bytes).
/// </summary>
public static class TuneDocument
{
    /// <summary>Builds the document.</summary>
    public static ReportDocument Build(TuneResult r, string command, TuneFigures figures, IReadOnlyList<string> files)
    {
        var q = r.Request.Query;
        var s = q.Step;
        var doc = new ReportDocument($"Tune: {s.Model.Name} · {s.Optimizer.Spec.Name} · {q.Gpu.DisplayName}");
        doc.P("Regenerate from the repository root:");
        doc.Code(command);
        doc.P($"`{s.Optimizer.Spec.Name}` (scale {Num(s.Optimizer.GaLore.Scale, 2)}, proj_type {s.Optimizer.GaLore.ProjType.Name()}, targets {s.Optimizer.Targets}) · " +
              $"`{s.Precision.Name}` · batch {q.Batch} × {q.Seq} tokens · checkpointing {(s.Checkpointing ? "on" : "off")} · runtime `{s.Stack.Name}`. " +
              $"**Memory is predicted** by the planner for {q.Gpu.DisplayName}; **timings are measured** on {r.Device}" + Load(r) +
              $"; the step time is **{(r.MeasuredStep is null ? "estimated" : "measured")}**. All sizes are GiB = 2³⁰ bytes. " +
              $"The run took {Num(r.ElapsedSeconds, 0)} s.");
        doc.H2("Recommendation");
        doc.P($"**{TuneBasis.Headline(r)}.** Based on:");
        doc.List(TuneBasis.Items(r));

        doc.H2("Memory per rank (predicted)");
        doc.Chart(figures.Memory);
        var mem = new ReportTable(new Column("rank", true), new Column($"peak at {q.Batch} × {q.Seq} (GiB)", true), new Column("share of usable", true),
            new Column("headroom (GiB)", true), new Column($"largest batch at seq {q.Seq}", true), new Column("verdict"));
        foreach (var m in r.Memory)
        {
            bool within = m.PeakBytes <= r.Choice.LimitBytes, fits = m.PeakBytes <= r.UsableBytes;
            mem.Add(m.Rank == r.Choice.Rank ? RowMark.Highlight : within ? RowMark.None : RowMark.Muted,
                m.Rank.ToString(), Gib(m.PeakBytes), Pct(m.PeakBytes / (double)r.UsableBytes), Gib(r.UsableBytes - m.PeakBytes), Count(m.MaxBatch),
                within ? "fits with headroom" : fits ? "fits, but above the headroom limit" : "does not fit");
        }
        doc.Table(mem);
        doc.P($"Usable: {Gib(r.UsableBytes)} GiB; limit with {Pct(r.Request.Policy.Headroom)} headroom: {Gib(r.Choice.LimitBytes)} GiB. " +
              "The peak includes a refresh step's SVD workspace (the planner's default).");
        if (r.SkippedRanks.Count > 0)
            doc.P($"Skipped: rank {string.Join(", ", r.SkippedRanks)} — larger than the smallest projected side ({r.SmallestSide}); Hugging Face raises " +
                  "for such a rank, and an SVD has only min(m, n) singular vectors.");

        doc.H2("Projected weights");
        var shapes = new ReportTable(new Column("shape (rows × cols)"), new Column("weights", true), new Column("smaller side", true), new Column("example"));
        foreach (var sh in r.Shapes) shapes.Add(sh.Label, sh.Count.ToString(), sh.SmallerSide.ToString(), $"`{sh.Example}`");
        doc.Table(shapes);
        doc.P($"From the planner's parameter table and Hugging Face's target selection (`{s.Optimizer.Targets}`): {r.Shapes.Sum(x => x.Count)} projected weights, " +
              $"{Count(r.Shapes.Sum(x => x.Count * x.Elements))} of the model's {Count(r.Parameters)} parameters. A refresh step recomputes every one of them.");

        TuneEvidence.Refresh(doc, r);
        TuneEvidence.Step(doc, r);
        TuneEvidence.Overhead(doc, r, figures.Overhead);
        if (r.Quality is { } quality) TuneEvidence.Quality(doc, r, quality, figures.Loss);

        doc.H2("How the recommendation is made");
        doc.List(
            $"**Rank**: the largest listed rank whose predicted device-used peak at batch {q.Batch} × {q.Seq} is at most (1 − headroom) × usable capacity " +
            $"(`--headroom`, default 10 %). More rank keeps more of each gradient and costs only low-rank states and projectors.",
            $"**T**: at that rank, the smallest listed T within [{TunePolicy.PaperMinGap}, {TunePolicy.PaperMaxGap}] whose refresh overhead — refresh time / " +
            $"(T × step time) — is at most the budget (`--overhead-budget`, default 5 %): refresh as often as is affordable. If none is, the largest T in that " +
            "range is chosen and flagged.",
            "**Method**: the SVD — what galore-torch and Hugging Face run — is the recommendation; the randomized range finder of this project's kernels is " +
            "given as an alternative with its subspace agreement.",
            "**Quality** (`--train-steps`): reported beside the rule as evidence from a small proxy; it does not override the rule.");

        doc.H2("Files");
        doc.List(files.Select(f => $"`{f}`"));
        return doc;
    }

    static string Load(TuneResult r) =>
        r.OtherCores is { } other
            ? $" (other processes kept {Num(other, 2)} of its {Environment.ProcessorCount} cores busy on average meanwhile" +
              (other > 0.5 ? ", so timings may be inflated)" : ")")
            : "";
}
