namespace GaLore.Cli.Options;

/// <summary>
/// Whether the command line being built can show help. Descriptions that are costly to build (the optimizer catalogue
/// grouped by library: 2–3 ms of a cold <c>fit</c> start-up) are built only then; a line without a help token never
/// prints them. True unless <see cref="CliApp"/> clears it for a line that asks for no help; per thread, since commands
/// are built on the thread that parses (tests run several command lines at once).
/// </summary>
public static class HelpText
{
    [ThreadStatic] static bool skipped;

    public static bool Wanted
    {
        get => !skipped;
        set => skipped = !value;
    }
}
