using GaLore.Planner;

namespace GaLore.Cli.Reports;

/// <summary>
/// An exclusive lock on an output folder for the length of a run, so two runs cannot write one folder (two
/// <c>validate --resume</c> would both measure every missing row, and the last writer would win). The lock is the
/// kernel's advisory lock on <c>.galore-plan.lock</c> in the folder (.NET takes <c>flock(LOCK_EX)</c> for
/// <see cref="FileShare.None"/>), released by the kernel when the process ends, however it ends — a kill -9 leaves no
/// stale lock. Who holds it is written to <c>.galore-plan.lock.owner</c>, for the message a second run prints. The lock
/// file itself is never deleted (deleting it would let a third run lock a new file while the second holds the old one).
/// </summary>
public sealed class FolderLock : IDisposable
{
    /// <summary>The lock file's name.</summary>
    public const string FileName = ".galore-plan.lock";

    readonly FileStream stream;

    FolderLock(FileStream stream) => this.stream = stream;

    /// <summary>Takes the lock or fails with a one-line error naming the holder.</summary>
    public static FolderLock Acquire(string dir, string command)
    {
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, FileName), owner = path + ".owner";
        FileStream stream;
        try { stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (IOException)
        {
            string holder = "another run";
            try { if (File.Exists(owner)) holder = File.ReadAllText(owner).Trim(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            throw new PlannerInputException($"'{dir}' is in use by {holder}: wait for it to finish or choose another --out");
        }
        AtomicFile.WriteText(owner, $"pid {Environment.ProcessId} ({command}, started {DateTime.Now:yyyy-MM-dd HH:mm:ss})\n");
        return new FolderLock(stream);
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose() => stream.Dispose();
}
