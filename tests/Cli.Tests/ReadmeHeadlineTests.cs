namespace GaLore.Cli.Tests;

/// <summary>
/// The README's headline — what `fit` prints for the built-in defaults — is the program's real output: every line of the
/// README's example block (up to its "..." elision) must appear verbatim in `fit`'s output, so a change that moves the
/// headline numbers is seen here and the README is updated with it.
/// </summary>
public sealed class ReadmeHeadlineTests
{
    [Fact]
    public void The_readme_shows_what_fit_prints_for_the_defaults()
    {
        string readme = File.ReadAllText(FindReadme());
        int anchor = readme.IndexOf("The first answers the question the project exists for", StringComparison.Ordinal);
        Assert.True(anchor >= 0, "README lost its headline paragraph");
        int open = readme.IndexOf("```", anchor, StringComparison.Ordinal);
        int close = readme.IndexOf("```", open + 3, StringComparison.Ordinal);
        var shown = readme[(open + 3)..close].Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();
        Assert.True(shown.Count >= 10, "the README's example block is too short to pin anything");

        var (exit, output, err) = CliRunner.Run("fit");
        Assert.True(exit == 0, err);
        var printed = output.Split('\n').Select(l => l.TrimEnd()).ToList();
        foreach (var line in shown)
        {
            if (line.Trim() == "...") continue;
            Assert.True(printed.Contains(line), $"README shows a line fit no longer prints:\n  {line}\nfit printed:\n{output}");
        }
    }

    static string FindReadme()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "README.md")) && File.Exists(Path.Combine(dir.FullName, "GaLore.Planner.sln")))
                return Path.Combine(dir.FullName, "README.md");
        throw new FileNotFoundException("README.md of the repository not found above " + AppContext.BaseDirectory);
    }
}
