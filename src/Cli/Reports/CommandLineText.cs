using System.CommandLine;
using GaLore.Planner;

namespace GaLore.Cli.Reports;

/// <summary>Small helpers for report commands: the command that regenerates a report, and comma-list options.</summary>
public static class CommandLineText
{
    /// <summary>
    /// The command line that reproduces a parsed command as the user ran it: the program as it was started
    /// (<see cref="Program"/>) and the tokens as typed (relative paths stay relative), shell-quoted where needed.
    /// </summary>
    public static string Reproduce(ParseResult r) =>
        Program() + " " + string.Join(" ", r.Tokens.Select(t => Quote(t.Value)));

    /// <summary>
    /// How this program was started: <c>galore-plan</c> when it runs as an installed tool or a published app host;
    /// <c>dotnet PATH/galore-plan.dll</c> when a published dll was run through <c>dotnet</c>; and
    /// <c>dotnet run --project src/Cli -c Release --</c> when it runs from the repository's build output (which is what
    /// <c>dotnet run</c> starts) or inside a test host.
    /// </summary>
    public static string Program()
    {
        const string FromSource = "dotnet run --project src/Cli -c Release --";
        string? host = Environment.ProcessPath;
        string dll = typeof(CommandLineText).Assembly.Location;
        static bool InRepository(string path) => path.Replace('\\', '/').Contains("/src/Cli/bin/", StringComparison.Ordinal);
        if (host is null || InRepository(dll)) return FromSource;
        if (Path.GetFileNameWithoutExtension(host) == "galore-plan") return "galore-plan";
        bool dotnetRunsOurDll = Path.GetFileNameWithoutExtension(host) == "dotnet"
                                && System.Reflection.Assembly.GetEntryAssembly()?.Location is { } entry && entry == dll;
        return dotnetRunsOurDll ? "dotnet " + Quote(Path.GetRelativePath(Environment.CurrentDirectory, dll)) : FromSource;
    }

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
