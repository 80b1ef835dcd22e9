using GaLore.Planner;

namespace GaLore.Cli.Reports;

/// <summary>
/// Every file a command writes goes through here: written to a temporary file beside its final name
/// (<c>.NAME.PID.tmp</c>), flushed to disk, then renamed over the final name — so a reader never sees a half-written file
/// under the final name, and a full disk or a kill leaves the previous version (or nothing) there, never a truncated one.
/// On failure the temporary file is removed and the error names the file (exit 2: a full disk is the user's to fix).
/// </summary>
public static class AtomicFile
{
    [ThreadStatic] static List<string>? written;

    /// <summary>Starts recording the files written (one command's run), so a failure can say which are complete.</summary>
    public static void BeginSession() => written = [];

    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, which receives the temporary file's path.</summary>
    public static void Write(string path, Action<string> write)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        string temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            write(temp);
            using (var f = new FileStream(temp, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) f.Flush(flushToDisk: true);
            File.Move(temp, full, overwrite: true);
            written?.Add(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            string done = written is not { Count: > 0 } w ? "no file was written before it"
                : w.Count <= 6 ? "complete files written before it: " + string.Join(", ", w)
                : $"{w.Count} complete files were written before it, the last {w[^1]}";
            string why = e.Message.Replace($" : '{temp}'", "", StringComparison.Ordinal).Replace(temp, path, StringComparison.Ordinal).TrimEnd('.');
            throw new PlannerInputException($"could not write {path}: {why} — nothing was left under that name; {done}", e);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Writes text (UTF-8, no byte-order mark).</summary>
    public static void WriteText(string path, string text) =>
        Write(path, temp => File.WriteAllText(temp, text, new System.Text.UTF8Encoding(false)));

    /// <summary>Writes lines ('\n' line ends).</summary>
    public static void WriteLines(string path, IEnumerable<string> lines) =>
        WriteText(path, string.Concat(lines.Select(l => l + "\n")));

    static void TryDelete(string temp)
    {
        try { File.Delete(temp); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
