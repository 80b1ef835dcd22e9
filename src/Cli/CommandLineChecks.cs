using System.CommandLine;
using System.CommandLine.Parsing;
using GaLore.Planner.Inputs;

namespace GaLore.Cli;

/// <summary>
/// Checks of a command line that System.CommandLine leaves to the application, each a one-line message: an unknown
/// command or option with "did you mean …", an option repeated without a value (<c>--gpu h200 --gpu</c> would
/// otherwise be read as <c>--gpu h200</c>), and an empty value (<c>--out ''</c>).
/// </summary>
public static class CommandLineChecks
{
    /// <summary>The message for an unknown command (the first argument), or null when it is known or an option.</summary>
    public static string? UnknownCommand(string[] args, IEnumerable<string> commands)
    {
        if (args.Length == 0 || args[0].StartsWith('-')) return null;
        var names = commands.ToArray();
        if (Array.IndexOf(names, args[0]) >= 0) return null;
        return $"unknown command '{args[0]}'{DidYouMean.Hint(args[0], names)}: use one of {string.Join(", ", names)} (see --help)";
    }

    /// <summary>The first problem with a parsed command line, or null.</summary>
    public static string? Problem(ParseResult parsed)
    {
        if (parsed.Errors.Count > 0)
        {
            string message = parsed.Errors[0].Message;
            foreach (var token in parsed.UnmatchedTokens)
                if (token.StartsWith("--", StringComparison.Ordinal))
                    return $"unknown option '{token}'{DidYouMean.Hint(token, OptionNames(parsed.CommandResult.Command))} (see --help)";
            return message + " (see --help)";
        }
        foreach (var child in parsed.CommandResult.Children)
        {
            if (child is not OptionResult o || o.Implicit) continue;
            var arity = o.Option.Arity;
            if (arity.MinimumNumberOfValues >= 1 && o.IdentifierTokenCount > o.Tokens.Count)
                return $"{o.Option.Name} is given without a value (it appears {o.IdentifierTokenCount} times with {o.Tokens.Count} value{(o.Tokens.Count == 1 ? "" : "s")})";
            foreach (var t in o.Tokens)
                if (string.IsNullOrWhiteSpace(t.Value)) return $"{o.Option.Name} is given an empty value";
        }
        return null;
    }

    static IEnumerable<string> OptionNames(Command command)
    {
        foreach (var o in command.Options)
        {
            yield return o.Name;
            foreach (var a in o.Aliases) yield return a;
        }
    }
}
