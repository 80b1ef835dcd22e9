using System.Text.Json;
using System.Text.RegularExpressions;

namespace GaLore.Cli.Tests.Fuzz;

/// <summary>The outcome classes a fuzz case falls into (the counts of a run).</summary>
public enum FuzzOutcome { Fits, DoesNotFit, BadInput, Listed }

/// <summary>
/// What must hold for every command line, whatever it is: it finishes (no hang), exits 0, 1 or 2 (never 3, an internal
/// error), never prints a stack trace; bad input is exit 2 with exactly one line on stderr and nothing on stdout; and an
/// answer is sane — every size non-negative and below 2⁶² bytes, the breakdown summing to the peak,
/// <c>fits</c> ⇔ peak ≤ capacity ⇔ exit 0, headroom = capacity − peak, every suggestion within capacity.
/// </summary>
public static class FuzzOracle
{
    /// <summary>Longest a single case may take before it counts as a hang.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    const long MaxBytes = 1L << 62;

    /// <summary>Runs one case in-process and checks it; throws with the command line on a violation.</summary>
    public static FuzzOutcome Check(string[] args)
    {
        var task = Task.Run(() => CliRunner.Run(args));
        if (!task.Wait(Limit)) throw new Xunit.Sdk.XunitException($"did not finish in {Limit.TotalSeconds} s: {Show(args)}");
        var (exit, output, error) = task.Result;
        void Require(bool condition, string what)
        {
            if (!condition) throw new Xunit.Sdk.XunitException($"{what}: {Show(args)}\nexit {exit}\nstdout: {Cut(output)}\nstderr: {Cut(error)}");
        }
        Require(exit is 0 or 1 or 2, $"exit {exit} (3 = internal error)");
        Require(!error.Contains("   at ", StringComparison.Ordinal) && !output.Contains("   at ", StringComparison.Ordinal), "a stack trace was printed");
        if (exit == 2)
        {
            Require(output.Length == 0, "bad input printed something on stdout");
            var lines = error.TrimEnd('\n').Split('\n');
            Require(lines.Length == 1 && lines[0].StartsWith("error: ", StringComparison.Ordinal), "bad input must be one line 'error: …'");
            return FuzzOutcome.BadInput;
        }
        Require(error.Length == 0 || !error.Contains("internal error", StringComparison.Ordinal), "internal error on stderr");
        if (args[0] != "fit")
        {
            Require(exit == 0, "models and sweep exit 0 on success");
            if (args.Contains("--json")) CheckSizes(JsonDocument.Parse(output).RootElement, Require);
            return FuzzOutcome.Listed;
        }
        if (!args.Contains("--json"))
        {
            Require(!Regex.IsMatch(output, @"-\d+(\.\d+)? GiB") && !output.Contains("NaN") && !output.Contains('∞'), "a negative or undefined size was printed");
            Require((exit == 0) == output.Contains("\nFITS: ", StringComparison.Ordinal), "exit status 0 ⇔ FITS");
            return exit == 0 ? FuzzOutcome.Fits : FuzzOutcome.DoesNotFit;
        }
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Require(root.GetProperty("format").GetString() == "galore-plan.fit/1", "format");
        CheckSizes(root, Require);
        long peak = root.GetProperty("peak_bytes").GetInt64(), capacity = root.GetProperty("capacity_bytes").GetInt64();
        bool fits = root.GetProperty("fits").GetBoolean();
        Require(fits == (peak <= capacity), "fits ⇔ peak ≤ capacity");
        Require((exit == 0) == fits, "exit status 0 ⇔ fits");
        Require(root.GetProperty("headroom_bytes").GetInt64() == capacity - peak, "headroom = capacity − peak");
        long sum = 0;
        foreach (var p in root.GetProperty("breakdown").EnumerateObject()) sum += p.Value.GetInt64();
        Require(sum == peak, "breakdown sums to the peak");
        Require(root.GetProperty("allocated_bytes").GetInt64() <= peak, "allocated ≤ device-used peak");
        foreach (var s in root.GetProperty("suggestions").EnumerateArray())
            Require(s.GetProperty("peak_bytes").GetInt64() <= capacity, "a suggestion fits");
        if (root.TryGetProperty("alternatives", out var alt))
            foreach (var g in alt.GetProperty("gpus_that_fit").EnumerateArray())
                Require(g.GetProperty("peak_bytes").GetInt64() <= g.GetProperty("capacity_bytes").GetInt64(), "a GPU that fits, fits");
        return fits ? FuzzOutcome.Fits : FuzzOutcome.DoesNotFit;
    }

    /// <summary>Every number whose name ends in <c>_bytes</c> (but headroom, a difference) and every parameter count is
    /// non-negative and below 2⁶², anywhere in the object.</summary>
    static void CheckSizes(JsonElement e, Action<bool, string> require, string name = "")
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject()) CheckSizes(p.Value, require, p.Name);
                break;
            case JsonValueKind.Array:
                foreach (var x in e.EnumerateArray()) CheckSizes(x, require, name);
                break;
            case JsonValueKind.Number when (name.EndsWith("_bytes", StringComparison.Ordinal) && !name.StartsWith("headroom", StringComparison.Ordinal))
                                           || name.Contains("parameters", StringComparison.Ordinal) || name is "max_batch" or "max_seq":
                require(e.TryGetInt64(out long v) && v >= 0 && v < MaxBytes, $"{name} = {e.GetRawText()} is negative or overflowed");
                break;
            case JsonValueKind.Number when name is "weights" or "gradients" or "optimizer_states" or "activations" or "other":
                require(e.TryGetInt64(out long b) && b >= 0 && b < MaxBytes, $"breakdown {name} = {e.GetRawText()} is negative or overflowed");
                break;
        }
    }

    /// <summary>A command line as a shell would take it.</summary>
    public static string Show(string[] args) => "galore-plan " + string.Join(" ", args.Select(a => Reports_Quote(a)));

    static string Reports_Quote(string a) => a.Length > 200 ? $"'{a[..40]}…({a.Length} chars)'" : GaLore.Cli.Reports.CommandLineText.Quote(a);

    static string Cut(string s) => s.Length <= 2000 ? s : s[..2000] + "…";
}
