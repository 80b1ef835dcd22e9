using GaLore.Planner;

namespace GaLore.Cli.Reports;

/// <summary>
/// Checks an output folder before any work is done, without creating it: it must not be a file, and it — or, when it
/// does not exist yet, the nearest folder above it that does — must take a new file (a probe is created and removed at
/// once). So a bad <c>--out</c> is a one-line error in the first millisecond, not after the whole computation, and bad
/// input leaves nothing behind. The writers create the folder when they write the first file.
/// </summary>
public static class OutputFolder
{
    /// <summary>Checks <paramref name="dir"/>; returns it.</summary>
    public static string Check(string dir, string option = "--out")
    {
        if (File.Exists(dir)) throw new PlannerInputException($"{option} '{dir}' is a file, not a folder");
        string? existing = Path.GetFullPath(dir);
        while (existing is not null && !Directory.Exists(existing))
        {
            if (File.Exists(existing)) throw new PlannerInputException($"{option} '{dir}' cannot be created: '{existing}' is a file");
            existing = Path.GetDirectoryName(existing);
        }
        if (existing is null) throw new PlannerInputException($"{option} '{dir}' cannot be created: no folder on its path exists");
        try
        {
            string probe = Path.Combine(existing, $".galore-plan-probe-{Environment.ProcessId}");
            using (File.Create(probe, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PlannerInputException($"{option} '{dir}' cannot be written ('{existing}' does not take a new file): {e.Message}", e);
        }
        return dir;
    }
}
