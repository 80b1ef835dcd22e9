using System.Globalization;
using GaLore.Planner;
using GaLore.Planner.Sweep;

namespace GaLore.Cli.Options;

/// <summary>
/// Parses <c>sweep</c>'s <c>--vary</c> options into a <see cref="SweepGrid"/>:
/// <code>
/// --vary AXIS=VALUES[,AXIS=VALUES…]     (repeatable; AXIS is rank, batch or seq)
/// VALUES, comma-separated items, each one of
///   a..b      powers of two from a: a, 2a, 4a, … up to b, b included   (rank=64..1024 → 64,128,256,512,1024)
///   a..b:s    arithmetic from a in steps of s up to b, b included      (seq=256..1024:256 → 256,512,768,1024)
///   v         one value                                                 (rank=64,128,512)
/// </code>
/// A comma followed by a bare item continues the current axis, one followed by <c>AXIS=</c> starts the next, so
/// <c>--vary rank=64,512,batch=1..8</c> is rank {64, 512} × batch {1, 2, 4, 8}. Axes not varied keep the value of
/// <c>--rank</c>, <c>--batch</c>, <c>--seq</c>. Values come out ascending and without repeats.
/// </summary>
public static class VaryOption
{
    /// <summary>The syntax, for --help and error messages.</summary>
    public const string Syntax = "AXIS=a..b (powers of two from a to b), AXIS=a..b:step, or AXIS=v1,v2,…; AXIS is rank, batch or seq";

    /// <summary>Parses the <c>--vary</c> options; axes not named keep the given fixed value.</summary>
    public static SweepGrid Parse(IEnumerable<string> vary, int rank, int batch, int seq)
    {
        var axes = new Dictionary<SweepAxis, SortedSet<int>>();
        foreach (var option in vary)
        {
            SortedSet<int>? current = null;
            foreach (var raw in option.Split(',', StringSplitOptions.TrimEntries))
            {
                string item = raw;
                int eq = raw.IndexOf('=');
                if (eq >= 0)
                {
                    var axis = ParseAxis(raw[..eq].Trim());
                    if (axes.ContainsKey(axis)) throw Error($"axis '{Name(axis)}' is given twice");
                    axes[axis] = current = [];
                    item = raw[(eq + 1)..].Trim();
                }
                else if (current is null)
                    throw Error($"'{raw}' does not start with AXIS= ({Syntax})");
                if (item.Length == 0) throw Error($"an empty value in '{option}' ({Syntax})");
                foreach (int v in Item(item)) current.Add(v);
            }
        }
        var grid = new SweepGrid(
            axes.TryGetValue(SweepAxis.Rank, out var r) ? r.ToArray() : [rank],
            axes.TryGetValue(SweepAxis.Batch, out var b) ? b.ToArray() : [batch],
            axes.TryGetValue(SweepAxis.Seq, out var s) ? s.ToArray() : [seq]);
        if (grid.Count > SweepGrid.MaxPoints)
            throw Error($"the grid has {grid.Count:N0} points; at most {SweepGrid.MaxPoints:N0} (use fewer values or a coarser step)");
        return grid;
    }

    /// <summary>Lower-case axis name as the command line spells it.</summary>
    public static string Name(SweepAxis axis) => axis.ToString().ToLowerInvariant();

    static SweepAxis ParseAxis(string name) => name.ToLowerInvariant() switch
    {
        "rank" or "r" => SweepAxis.Rank,
        "batch" or "b" => SweepAxis.Batch,
        "seq" or "s" or "seq_len" or "sequence" => SweepAxis.Seq,
        _ => throw Error($"unknown axis '{name}': use rank, batch or seq"),
    };

    static IEnumerable<int> Item(string item)
    {
        int dots = item.IndexOf("..", StringComparison.Ordinal);
        if (dots < 0) return [Positive(item)];
        string end = item[(dots + 2)..];
        int? step = null;
        int colon = end.IndexOf(':');
        if (colon >= 0)
        {
            step = Positive(end[(colon + 1)..], "step");
            end = end[..colon];
        }
        int a = Positive(item[..dots]), b = Positive(end);
        if (a > b) throw Error($"range {item} runs backwards: write {b}..{a}");
        var values = new List<int>();
        for (long v = a; v <= b; v = step is { } st ? v + st : v * 2)
        {
            values.Add((int)v);
            if (values.Count > SweepGrid.MaxPoints) throw Error($"range {item} has more than {SweepGrid.MaxPoints:N0} values");
        }
        if (values[^1] != b) values.Add(b);
        return values;
    }

    static int Positive(string text, string what = "value")
    {
        if (!int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v))
            throw Error($"{what} '{text.Trim()}' is not an integer ({Syntax})");
        return v > 0 ? v : throw Error($"{what} {v} must be positive");
    }

    static PlannerInputException Error(string message) => new("--vary: " + message);
}
