namespace GaLore.Planner.Inputs;

/// <summary>
/// Reads a user-named input file safely: regular files only (a FIFO would block the read, <c>/dev/zero</c> never ends;
/// both report a size of 0, so they are refused before they are opened), at most <see cref="MaxBytes"/>, and every
/// failure a one-line <see cref="PlannerInputException"/> that says what the path is — missing, a folder, unreadable,
/// empty, too large — naming the first folder on the way that cannot be read when that is the reason.
/// </summary>
public static class InputFile
{
    /// <summary>Largest input file read: 16 MiB (the largest <c>config.json</c> files on the Hub are a few hundred KB).</summary>
    public const int MaxBytes = 16 << 20;

    /// <summary>The file's text; <paramref name="what"/> names it in messages (e.g. "model config").</summary>
    public static string ReadText(string path, string what)
    {
        if (Directory.Exists(path)) throw new PlannerInputException($"{what} '{path}' is a folder, not a file");
        var info = new FileInfo(path);
        if (!info.Exists) throw new PlannerInputException($"{what} '{path}' {Missing(path)}");
        if (info.Length == 0)
            throw new PlannerInputException($"{what} '{path}' is empty or not a regular file (a device or pipe is not read)");
        if (info.Length > MaxBytes)
            throw new PlannerInputException($"{what} '{path}' is {info.Length:N0} bytes; at most {MaxBytes:N0} are read");
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            var buffer = new byte[(int)info.Length + 1];
            int total = 0, n;
            while (total < buffer.Length && (n = stream.Read(buffer, total, buffer.Length - total)) > 0) total += n;
            if (total > info.Length) throw new PlannerInputException($"{what} '{path}' grew while it was read; it is not a plain file");
            return new System.Text.UTF8Encoding(false, true).GetString(buffer, 0, total);
        }
        catch (System.Text.DecoderFallbackException e)
        {
            throw new PlannerInputException($"{what} '{path}' is not UTF-8 text", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PlannerInputException($"{what} '{path}' cannot be read: {e.Message}", e);
        }
    }

    /// <summary>Why a path does not exist as far as we can see: "not found", or the first folder on the way that cannot be listed.</summary>
    public static string Missing(string path)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        while (dir is not null && !Directory.Exists(dir)) dir = Path.GetDirectoryName(dir);
        if (dir is null) return "not found";
        try
        {
            using var e = Directory.EnumerateFileSystemEntries(dir).GetEnumerator();
            e.MoveNext();
        }
        catch (UnauthorizedAccessException)
        {
            return $"cannot be reached: folder '{dir}' is not readable (permission denied)";
        }
        catch (IOException ex)
        {
            return $"cannot be reached: folder '{dir}': {ex.Message}";
        }
        return "not found";
    }
}
