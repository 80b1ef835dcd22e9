using System.CommandLine;
using GaLore.Planner;

namespace GaLore.Cli.Reports;

/// <summary>Small helpers for report commands: the command that regenerates a report, and comma-list options.</summary>
public static class CommandLineText
{
    /// <summary>
    /// The <c>dotnet run</c> line that reproduces a parsed command from the repository root: the tokens as typed
    /// (relative paths stay relative), shell-quoted where needed.
    /// </summary>
    public static string Reproduce(ParseResult r) =>
        "dotnet run --project src/Cli -c Release -- " + string.Join(" ", r.Tokens.Select(t => Quote(t.Value)));

    /// <summary>A POSIX-shell-safe form of one argument.</summary>
    public static string Quote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || "-_.,/=:+@%".Contains(c))
            ? arg
            : "'" + arg.Replace("'", "'\\''") + "'";

    /// <summary>Splits a comma list, trimming entries and dropping empty and repeated ones (first wins).</summary>
    public static IReadOnlyList<string> Split(string text, string option)
    {
        var items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        return items.Length > 0 ? items : throw new PlannerInputException($"{option} is empty");
    }
}
