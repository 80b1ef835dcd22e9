using System.Text;

namespace GaLore.Cli.Output;

/// <summary>
/// The process's stdout and stderr as UTF-8 writers that flush every write (as <see cref="Console.Out"/> does), over
/// <see cref="StandardStream"/> rather than <see cref="Console"/>. System.Console's first use (terminal and signal set-up,
/// the encoding looked up from <c>LANG</c>) costs a cold start-up 10–15 ms: a hello-world writing one line through it
/// runs 12 ms longer than one writing through a plain stream, and <c>fit</c> ~9 ms (scripts/bench-startup.sh). Text is
/// UTF-8 whatever the locale says (.NET's own default on Unix); Windows keeps <see cref="Console"/>.
/// </summary>
public static class StandardWriters
{
    /// <summary>Standard output.</summary>
    public static TextWriter Out() => Open(1, () => Console.Out);

    /// <summary>Standard error.</summary>
    public static TextWriter Error() => Open(2, () => Console.Error);

    static TextWriter Open(int descriptor, Func<TextWriter> console) =>
        OperatingSystem.IsWindows()
            ? console()
            : TextWriter.Synchronized(new StreamWriter(new StandardStream(descriptor), new UTF8Encoding(false), 1024) { AutoFlush = true });
}
