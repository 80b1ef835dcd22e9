using GaLore.Kernels.Projection;
using GaLore.Profiler.Tuning;
using static GaLore.Cli.Reports.Tune.TuneFormat;

namespace GaLore.Cli.Reports.Tune;

/// <summary>The measured (and estimated) sections of the tune report: refresh timings, step time, overhead per T, quality.</summary>
public static class TuneEvidence
{
    /// <summary>Refresh time per shape and per refresh step.</summary>
    public static void Refresh(ReportDocument doc, TuneResult r)
    {
        doc.H2("Refresh time (measured)");
        doc.P($"Each refresh runs this project's `GaLoreProjector.Recompute` on a synthetic gradient ({SyntheticGradient.Description}) in the " +
              $"gradient's dtype: a float32 copy, then `linalg.svd(full_matrices=False)` or the randomized range finder (oversampling 8, 2 power " +
              $"iterations), then the copy of r vectors. Times are medians of up to {r.Request.Repeats} runs; no new run starts after " +
              $"{Num(r.Request.RepeatBudgetSeconds, 0)} s, so long SVDs are timed once. An SVD's cost does not depend on the rank (it computes all " +
              $"min(m, n) vectors): SVDs over {Num(RefreshBenchmark.CheapSeconds, 0)} s are timed at the largest rank, and once more at the smallest rank " +
              "for the smallest shape as a check; the other ranks reuse the largest rank's time (marked).");
        var table = new ReportTable(new Column("shape"), new Column("weights", true), new Column("method"), new Column("rank", true),
            new Column("seconds per refresh", true), new Column("runs", true), new Column("source"), new Column("agreement with SVD", true));
        foreach (var t in r.Refresh)
            table.Add(t.Shape.Label, t.Shape.Count.ToString(), MethodName(t.Method), t.Rank.ToString(), Seconds(t.Seconds),
                t.Measured ? t.Runs.ToString() : "—", t.Measured ? "measured" : $"same SVD as rank {t.SameAsRank}",
                t.Agreement is { } a ? Num(a, 3) : "—");
        doc.Table(table);
        var checks = r.Refresh.Where(t => t.Method == RefreshMethod.Svd && t.Measured).GroupBy(t => t.Shape).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key.Label}: " + string.Join(" vs ", g.OrderBy(t => t.Rank).Select(t => $"{Seconds(t.Seconds)} s at rank {t.Rank}"))).ToList();
        if (checks.Count > 0) doc.P("SVD time against rank, where measured at several ranks: " + string.Join("; ", checks.Take(4)) + ".");
        foreach (var note in TransposeNotes(r)) doc.P(note);
        var methods = TuneCharts.Methods(r).ToList();
        var cols = new List<Column> { new("rank", true) };
        cols.AddRange(methods.Select(m => new Column($"{MethodName(m)}: s per refresh step", true)));
        if (methods.Count == 2) cols.Add(new Column("SVD ÷ randomized", true));
        var totals = new ReportTable(cols.ToArray());
        foreach (int rank in r.Ranks)
        {
            var cells = new List<string> { rank.ToString() };
            cells.AddRange(methods.Select(m => Seconds(r.Total(m, rank).Seconds) + (r.Total(m, rank).AllMeasured ? "" : " *")));
            if (methods.Count == 2) cells.Add(Num(r.Total(RefreshMethod.Svd, rank).Seconds / r.Total(RefreshMethod.Randomized, rank).Seconds, 1));
            totals.Add(rank == r.Choice.RankForGap ? RowMark.Highlight : RowMark.None, cells.ToArray());
        }
        doc.P("Per refresh step (Σ over shapes of weights × seconds per refresh; * = includes reused SVD times):");
        doc.Table(totals);
    }

    /// <summary>A sentence for each pair of transposed shapes whose SVD times differ by more than 30 % (the decomposition of
    /// Gᵀ gives the same vectors with U and V swapped, so the cheaper orientation could serve both).</summary>
    static IEnumerable<string> TransposeNotes(TuneResult r)
    {
        int top = r.Ranks[^1];
        var svd = r.Refresh.Where(t => t.Method == RefreshMethod.Svd && t.Rank == top).ToList();
        foreach (var a in svd)
            foreach (var b in svd)
                if (a.Shape.Rows == b.Shape.Cols && a.Shape.Cols == b.Shape.Rows && a.Shape.Rows < a.Shape.Cols && a.Seconds > 1.3 * b.Seconds)
                    yield return $"The SVD of the wide {a.Shape.Label} gradient took {Num(a.Seconds / b.Seconds, 1)}× as long as that of its transpose " +
                                 $"{b.Shape.Label} ({Seconds(a.Seconds)} s against {Seconds(b.Seconds)} s) on this device. Since svd(Gᵀ) = (V, Σ, U), a refresh " +
                                 $"could decompose the tall orientation instead; here that would save {Seconds(a.Shape.Count * (a.Seconds - b.Seconds))} s per refresh step.";
    }

    /// <summary>The step time the refresh is amortised against.</summary>
    public static void Step(ReportDocument doc, TuneResult r)
    {
        var q = r.Request.Query;
        doc.H2(r.MeasuredStep is null ? "Step time (estimated)" : "Step time (measured and estimated)");
        doc.P($"Matmul throughput (measured): {Num(r.Throughput.FlopsPerSecond / 1e9, 1)} GFLOP/s for a {r.Throughput.Size}³ {r.Throughput.DType} product " +
              $"(median of {r.Throughput.Runs}) on {r.Device}.");
        doc.P($"Training FLOPs (estimated): {TrainingFlops.PerParameterToken(q.Step.Checkpointing)}·N·D — 2N per token forward, 4N backward" +
              (q.Step.Checkpointing ? ", 2N more to recompute the checkpointed forward" : "") +
              $" (Kaplan et al. 2020, arXiv 2001.08361; Chinchilla's approximation, arXiv 2203.15556) with N = {Count(r.MatmulParameters)} parameters " +
              $"used in matmuls (all but the input embedding) and D = {Count((long)q.Batch * q.Seq)} tokens: {Sci(r.StepFlops)} FLOP → " +
              $"**{Seconds(r.EstimatedStepSeconds)} s** per step at the measured rate. Attention's score products, element-wise work and the optimizer " +
              "step are left out, so this is a lower bound.");
        if (r.MeasuredStep is { } m)
            doc.P($"Real step (measured): **{Seconds(m.StepSeconds)} s** (median of {m.OrdinarySteps} steps without a refresh, rank {m.Rank}, this project's " +
                  $"TorchSharp model and kernels). The step with a refresh took {(m.RefreshStepSeconds is { } rs ? Seconds(rs) : "—")} s, i.e. the refresh added " +
                  $"{(m.RefreshExtraSeconds is { } x ? Seconds(x) : "—")} s inside training" +
                  (r.Totals.Any(t => t.Method == RefreshMethod.Svd && t.Rank == m.Rank)
                      ? $", against {Seconds(r.Total(RefreshMethod.Svd, m.Rank).Seconds)} s from the isolated SVD timings" : "") +
                  ". Overheads below use the measured step.");
        else doc.P($"Real step: {r.StepNote}. Overheads below use the estimate.");
    }

    /// <summary>Overhead per T.</summary>
    public static void Overhead(ReportDocument doc, TuneResult r, Figure figure)
    {
        int rank = r.Choice.RankForGap;
        doc.H2("Refresh overhead per T");
        doc.P($"Overhead = refresh time per refresh step / (T × step time), with the {(r.MeasuredStep is null ? "estimated" : "measured")} step of " +
              $"{Seconds(r.StepSeconds)} s, at rank {rank}:");
        var methods = TuneCharts.Methods(r).ToList();
        doc.List(r.Request.Gaps.Distinct().Order().Select(g =>
            $"T = {g}: " + string.Join("; ", methods.Select(m => $"{MethodName(m)} refresh overhead {Pct(r.Overhead(m, rank, g))} of step time"))));
        doc.Chart(figure);
        var cols = new List<Column> { new("rank", true) };
        var gaps = r.Request.Gaps.Distinct().Order().ToArray();
        foreach (var m in methods) cols.AddRange(gaps.Select(g => new Column($"{Method(m)} T={g}", true)));
        var table = new ReportTable(cols.ToArray());
        foreach (int k in r.Ranks)
            table.Add(k == rank ? RowMark.Highlight : RowMark.None,
                [k.ToString(), .. methods.SelectMany(m => gaps.Select(g => Pct(r.Overhead(m, k, g))))]);
        doc.P("Every rank (overhead in percent of step time):");
        doc.Table(table);
        var mem = r.Memory.Single(m => m.Rank == rank);
        var q = r.Request.Query;
        if (mem.MaxBatch > q.Batch && r.Choice.Primary is var p)
            doc.P($"Larger batches amortise better: at rank {rank} the largest batch that fits is {mem.MaxBatch} (at seq {q.Seq}); a step then does " +
                  $"{Num(mem.MaxBatch / (double)q.Batch, 1)}× the work (6·N·D grows with the tokens), so every overhead above shrinks about as much — " +
                  $"{MethodName(p.Method)} at T = {p.Gap}: {Pct(p.Overhead * q.Batch / mem.MaxBatch)}.");
    }

    /// <summary>The proxy experiment.</summary>
    public static void Quality(ReportDocument doc, TuneResult r, ProxyResult p, Figure? figure)
    {
        var s = p.Settings;
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        doc.H2("Quality on a proxy (measured)");
        doc.P($"Short real training runs of `{s.Model.Name}` ({s.Model.NumLayers} layers, hidden {s.Model.HiddenSize}, vocabulary {s.Model.VocabSize}) " +
              $"in float32 on {r.Request.Device}: {s.Steps} steps of batch {s.Batch} × {s.Seq} tokens, the same initial weights and batches for every run. " +
              $"Data: a fixed random first-order Markov chain over the vocabulary (4 successors per token, seeded) read at lag {s.Lag} — token t follows the " +
              $"chain from token t − {s.Lag}" + (s.Lag > 1 ? ", so the model must learn to attend that far back: work for the attention and MLP weights GaLore projects" : "") +
              $". The lowest reachable loss is {Num(p.LossFloor, 3)} nats (chain entropy rate {Num(p.EntropyRate, 3)}; uniform guessing {Num(p.UniformLoss, 3)}). " +
              $"GaLore runs use `{p.Runs[0].Optimizer}` from this project's kernels at lr {s.LearningRate.ToString("0.####", inv)} and ranks " +
              $"{string.Join(", ", s.Ranks)} (the target's ranks mapped by fraction of the smallest projected side, or `--proxy-ranks`) × T = {string.Join(", ", s.Gaps)}; " +
              $"the baseline is full-rank `adamw` at lr {string.Join(", ", s.BaselineLearningRates.Select(x => x.ToString("0.####", inv)))}, best kept. " +
              $"Final loss = mean of the last {s.FinalWindow} steps.");
        if (figure is not null) doc.Chart(figure);
        var table = new ReportTable([new Column("run"), .. s.Gaps.Select(g => new Column($"final loss, T = {g}", true)), new Column("best vs best AdamW", true)]);
        var baseline = p.Baseline.FinalLoss;
        foreach (int rank in s.Ranks)
        {
            var row = s.Gaps.Select(g => p.Runs.Single(x => x.Rank == rank && x.Gap == g).FinalLoss).ToArray();
            table.Add([$"GaLore rank {rank}", .. row.Select(v => Num(v, 3)), Signed(row.Min() / baseline - 1)]);
        }
        foreach (var b in p.Baselines)
            table.Add(ReferenceEquals(b, p.Baseline) ? RowMark.Highlight : RowMark.None,
                [$"AdamW, lr {b.LearningRate.ToString("0.####", inv)}", .. s.Gaps.Select(_ => Num(b.FinalLoss, 3)), Signed(b.FinalLoss / baseline - 1)]);
        doc.Table(table);
        doc.P($"Runs took {Num(p.Runs.Sum(x => x.Seconds), 1)} s in all, one seed each. " +
              (s.Lag > 1 ? "The loss sits near the unigram entropy until a run learns to look back, then falls; final losses therefore mostly say how soon " +
                           "each run got there, and differences of a few hundredths are within seed noise. " : "") +
              "The proxy is tiny and the runs short: read the table for direction (does a lower rank or a rarer refresh cost loss here?), not for the " +
              "size of the effect at 7B scale.");
    }

    static string Signed(double fraction) => (fraction >= 0 ? "+" : "") + Pct(fraction);
}
