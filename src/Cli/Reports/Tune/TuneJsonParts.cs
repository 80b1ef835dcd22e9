using System.Text.Json;
using GaLore.Profiler.Tuning;
using static GaLore.Cli.Reports.Tune.TuneFormat;

namespace GaLore.Cli.Reports.Tune;

/// <summary>The <c>quality</c> and <c>recommendation</c> members of <c>tune --json</c>.</summary>
public static class TuneJsonParts
{
    /// <summary><c>quality</c>: null, or the proxy settings and every run's final loss.</summary>
    public static void Quality(Utf8JsonWriter j, ProxyResult? p)
    {
        if (p is null)
        {
            j.WriteNull("quality");
            return;
        }
        var s = p.Settings;
        j.WriteStartObject("quality");
        j.WriteString("proxy", s.Model.Name);
        j.WriteNumber("steps", s.Steps);
        j.WriteNumber("batch", s.Batch);
        j.WriteNumber("seq", s.Seq);
        j.WriteNumber("learning_rate", s.LearningRate);
        j.WriteNumber("final_window", s.FinalWindow);
        j.WriteNumber("lag", s.Lag);
        j.WriteNumber("entropy_rate", p.EntropyRate);
        j.WriteNumber("loss_floor", p.LossFloor);
        TuneJson.Ints(j, "ranks", s.Ranks);
        TuneJson.Ints(j, "gaps", s.Gaps);
        TuneJson.Array(j, "runs", p.Runs, run =>
        {
            j.WriteString("optimizer", run.Optimizer);
            j.WriteNumber("learning_rate", run.LearningRate);
            TuneJson.Nullable(j, "rank", run.Rank);
            TuneJson.Nullable(j, "gap", run.Gap);
            j.WriteNumber("first_loss", run.Losses[0]);
            j.WriteNumber("final_loss", run.FinalLoss);
            j.WriteNumber("seconds", Math.Round(run.Seconds, 3));
        });
        j.WriteEndObject();
    }

    /// <summary><c>recommendation</c>: the choice, the rule's knobs, the alternative method and the basis sentences.</summary>
    public static void Recommendation(Utf8JsonWriter j, TuneResult r)
    {
        var c = r.Choice;
        j.WriteStartObject("recommendation");
        TuneJson.Nullable(j, "rank", c.Rank);
        j.WriteNumber("rank_for_gap", c.RankForGap);
        Gap(j, c.Primary);
        j.WriteNumber("overhead_budget", r.Request.Policy.OverheadBudget);
        j.WriteNumber("headroom", r.Request.Policy.Headroom);
        j.WriteNumber("limit_bytes", c.LimitBytes);
        if (c.Alternative is { } a)
        {
            j.WriteStartObject("alternative");
            Gap(j, a);
            j.WriteEndObject();
        }
        else j.WriteNull("alternative");
        j.WriteString("headline", TuneBasis.Headline(r));
        j.WriteStartArray("basis");
        foreach (var item in TuneBasis.Items(r)) j.WriteStringValue(item);
        j.WriteEndArray();
        j.WriteEndObject();
    }

    static void Gap(Utf8JsonWriter j, GapChoice g)
    {
        j.WriteString("method", Method(g.Method));
        j.WriteNumber("update_proj_gap", g.Gap);
        j.WriteNumber("overhead", g.Overhead);
        j.WriteBoolean("within_budget", g.WithinBudget);
        j.WriteBoolean("in_paper_range", g.InPaperRange);
        j.WriteNumber("smallest_gap_within_budget", g.SmallestGapWithinBudget);
    }
}
