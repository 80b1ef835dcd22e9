namespace GaLore.Kernels.Native;

/// <summary>Reads <c>/proc/self/maps</c> (proc(5)) to tell which shared objects this process has mapped.</summary>
public static class ProcessMaps
{
    private const string MapsFile = "/proc/self/maps";

    /// <summary>Every distinct file path currently mapped into this process (empty where /proc is unavailable).</summary>
    public static IReadOnlyList<string> MappedFiles()
    {
        if (!File.Exists(MapsFile)) return [];
        var result = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(MapsFile))
        {
            // Line format: "address perms offset dev inode   pathname"; the path is the text from the first '/'.
            int slash = line.IndexOf('/');
            if (slash < 0) continue;
            var path = line[slash..].TrimEnd();
            if (path.EndsWith(" (deleted)", StringComparison.Ordinal)) continue;
            if (seen.Add(path)) result.Add(path);
        }
        return result;
    }

    /// <summary>
    /// The first mapped file whose name is <paramref name="fileName"/> or starts with
    /// "<paramref name="fileName"/>." (so "libstdc++.so.6" matches "libstdc++.so.6.0.30"); null if none.
    /// </summary>
    public static string? FindMapped(string fileName) =>
        MappedFiles().FirstOrDefault(p =>
        {
            var name = Path.GetFileName(p);
            return name == fileName || name.StartsWith(fileName + ".", StringComparison.Ordinal);
        });
}
