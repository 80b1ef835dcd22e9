using GaLore.Kernels.Projection;
using GaLore.Profiler.Tuning;
using static GaLore.Cli.Reports.Tune.TuneFormat;

namespace GaLore.Cli.Reports.Tune;

/// <summary>
/// The recommendation in words: one headline and the evidence it rests on, each item saying whether it was predicted
/// (planner), measured (timed on the local device) or estimated (6·N·D). The report, the JSON's <c>basis</c> and the
/// console summary all print these same sentences.
/// </summary>
public static class TuneBasis
{
    /// <summary>"Recommended: rank 512, update_proj_gap 500 (SVD refresh)".</summary>
    public static string Headline(TuneResult r)
    {
        var c = r.Choice;
        string rank = c.Rank is { } k ? $"rank {k}" : $"no listed rank fits with {Pct(r.Request.Policy.Headroom)} headroom (smallest: rank {c.RankForGap})";
        string budget = c.Primary.WithinBudget ? "" : $", over the {Pct(r.Request.Policy.OverheadBudget)} overhead budget on this device";
        return $"Recommended: {rank}, update_proj_gap {c.Primary.Gap} ({MethodName(c.Primary.Method)} refresh{budget})";
    }

    /// <summary>The evidence, one sentence each.</summary>
    public static IReadOnlyList<string> Items(TuneResult r)
    {
        var q = r.Request.Query;
        var c = r.Choice;
        var p = c.Primary;
        var items = new List<string>();
        var mem = r.Memory.Single(m => m.Rank == c.RankForGap);
        string limit = $"{Gib(c.LimitBytes)} GiB limit ({Pct(1 - r.Request.Policy.Headroom)} of {Gib(r.UsableBytes)} GiB usable on {q.Gpu.DisplayName})";
        var larger = r.Memory.Where(m => m.Rank > c.RankForGap).MinBy(m => m.Rank);
        items.Add($"Memory (predicted by the planner): rank {mem.Rank} peaks at {Gib(mem.PeakBytes)} GiB at batch {q.Batch} × {q.Seq}, " +
                  (c.Rank is null ? $"over the {limit}." : $"within the {limit}") +
                  (c.Rank is null ? "" : larger is null ? "; it is the largest rank listed." : $"; rank {larger.Rank} would need {Gib(larger.PeakBytes)} GiB."));
        var total = r.Total(p.Method, c.RankForGap);
        items.Add($"Refresh cost (measured on {r.Device}): one refresh step — the {MethodName(p.Method)} of each of the {r.Shapes.Sum(s => s.Count)} projected " +
                  $"weights at rank {c.RankForGap} — takes {Seconds(total.Seconds)} s" +
                  (total.AllMeasured ? "." : " (some shapes reuse the SVD time measured at another rank: an SVD's cost does not depend on the rank)."));
        items.Add(StepSentence(r));
        string budget = Pct(r.Request.Policy.OverheadBudget);
        items.Add(p.WithinBudget
            ? $"Overhead: T = {p.Gap} costs {Pct(p.Overhead)} of step time, within the {budget} budget; it is the smallest listed T in [50, 1000] " +
              $"within budget (any T ≥ {Count(p.SmallestGapWithinBudget)} would be)."
            : $"Overhead: **no listed T in [50, 1000] meets the {budget} budget** with the {MethodName(p.Method)}; T = {p.Gap} is the cheapest at {Pct(p.Overhead)} " +
              $"(T ≥ {Count(p.SmallestGapWithinBudget)} would meet it).");
        items.Add(p.InPaperRange
            ? "The GaLore paper's ablation of the update frequency found T between 50 and 1000 to matter little for quality, too frequent or too rare refreshes to hurt (arXiv 2403.03507), so T is chosen for cost within that range."
            : "No listed T is in [50, 1000], the range where the paper found T to matter little; T was chosen from the whole list.");
        if (c.Alternative is { } a)
        {
            double? agreement = r.Refresh.Where(t => t.Method == RefreshMethod.Randomized && t.Rank == c.RankForGap && t.Agreement is not null)
                .Select(t => t.Agreement).DefaultIfEmpty(null).Min();
            items.Add($"Alternative with this project's {MethodName(a.Method)} (not in galore-torch): T = {a.Gap} at {Pct(a.Overhead)}" +
                      (a.WithinBudget ? "" : " (over budget)") +
                      (agreement is { } ag ? $"; its rank-{c.RankForGap} subspace agrees with the SVD's to {Num(ag, 3)} (mean cos² of principal angles, worst shape)." : "."));
        }
        if (r.Quality is { } quality) items.Add(QualitySentence(r, quality));
        items.Add($"All timings are for {r.Device}; a GPU shortens both the refresh and the step, by different factors, so rerun with `--device cuda` there " +
                  "for that device's overheads. Memory does not depend on where timings run.");
        return items;
    }

    /// <summary>Where the step time comes from.</summary>
    public static string StepSentence(TuneResult r)
    {
        var q = r.Request.Query;
        string estimate = $"{TrainingFlops.PerParameterToken(q.Step.Checkpointing)}·N·D = {TrainingFlops.PerParameterToken(q.Step.Checkpointing)} × " +
                          $"{Count(r.MatmulParameters)} × {Count((long)q.Batch * q.Seq)} = {Sci(r.StepFlops)} FLOP at the measured {r.Throughput.DType} matmul rate " +
                          $"({Num(r.Throughput.FlopsPerSecond / 1e9, 0)} GFLOP/s) → {Seconds(r.EstimatedStepSeconds)} s";
        return r.MeasuredStep is { } m
            ? $"Step time (measured): {Seconds(m.StepSeconds)} s per real step of {q.Step.Model.Name} on this device; the estimate {estimate} " +
              $"(the real step reaches {Pct(r.EstimatedStepSeconds / m.StepSeconds)} of the matmul rate). Overheads use the measured step."
            : $"Step time (estimated, not measured): {estimate}. This assumes every FLOP runs at the matmul rate, so real steps are slower and the " +
              "real overhead lower than shown.";
    }

    static string QualitySentence(TuneResult r, ProxyResult p)
    {
        var s = p.Settings;
        var baseline = p.Baseline;
        var galore = p.Runs.Where(x => x.Rank is not null).ToList();
        var best = galore.MinBy(x => x.FinalLoss)!;
        double spreadT = galore.GroupBy(x => x.Rank).Max(g => g.Max(x => x.FinalLoss) - g.Min(x => x.FinalLoss));
        string atRank = "";
        if (r.Choice.Rank is { } chosen)
        {
            long proxySide = ProjectedShapes.SmallestSide(ProjectedShapes.Of(s.Model, r.Request.Query.Step.Optimizer));
            int mapped = ProxyGrid.MapRanks([chosen], r.SmallestSide, proxySide)[0];
            int nearest = s.Ranks.MinBy(x => Math.Abs(Math.Log((double)x / mapped)))!;
            var runs = galore.Where(x => x.Rank == nearest).ToList();
            atRank = $" Proxy rank {nearest} (nearest to rank {chosen}'s fraction of the smallest side, {chosen}/{r.SmallestSide}) ends at " +
                     $"{Num(runs.Min(x => x.FinalLoss), 3)}–{Num(runs.Max(x => x.FinalLoss), 3)} across T.";
        }
        return $"Quality (measured on a proxy, {s.Model.Name}, {s.Steps} steps of Markov-chain text): full-rank AdamW (best of {p.Baselines.Count} learning rates, " +
               $"lr {baseline.LearningRate.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture)}) ends at loss {Num(baseline.FinalLoss, 3)}, " +
               $"the best GaLore run ({best.Label}) at {Num(best.FinalLoss, 3)} ({Signed(best.FinalLoss / baseline.FinalLoss - 1)} vs AdamW); at a fixed rank, " +
               $"changing T moved the final loss by at most {Num(spreadT, 3)}.{atRank} A proxy this small only shows direction, not the 7B-scale gap.";
    }

    static string Signed(double fraction) => (fraction >= 0 ? "+" : "") + Pct(fraction);
}
