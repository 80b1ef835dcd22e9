using System.Security.Cryptography;

namespace GaLore.Kernels.Native;

/// <summary>Outcome of <see cref="PatchedLibraryCache.GetOrCreateWeakened"/>.</summary>
/// <param name="Path">The file to load: the original when nothing needed patching, else the private copy.</param>
/// <param name="Weakened">The requirements that were marked VER_FLG_WEAK (empty when unpatched).</param>
/// <param name="Reused">True when an identical patched copy was already in the cache.</param>
public sealed record PatchedLibrary(string Path, IReadOnlyList<ElfVersionNeed> Weakened, bool Reused);

/// <summary>
/// Keeps private, patched copies of native libraries under
/// <c>$XDG_CACHE_HOME/galore-planner/native/&lt;sha256-of-original&gt;/</c> (falling back to
/// <c>~/.cache</c>, then the temp folder). The original — in the NuGet cache, the package or the app
/// folder — is never written. Copies are written to a temp file and renamed into place (rename(2) is
/// atomic), so concurrent processes either see no file or a complete one, and a process that already
/// mapped an older copy keeps its inode. An existing copy is reused only if it is byte-identical to
/// what would be written now.
/// </summary>
public static class PatchedLibraryCache
{
    /// <summary>
    /// Returns a loadable copy of <paramref name="originalPath"/> in which every requirement against
    /// <paramref name="neededFile"/> whose version is missing from <paramref name="providedVersions"/>
    /// is weak (see <see cref="ElfVersionNeedPatcher"/>). If none is missing, returns the original path.
    /// </summary>
    /// <exception cref="IOException">No cache folder could be written (the message lists each one tried).</exception>
    public static PatchedLibrary GetOrCreateWeakened(string originalPath, string neededFile, IReadOnlySet<string> providedVersions)
    {
        IReadOnlyList<ElfVersionNeed> weakened = [];
        var (path, reused) = GetOrCreate(originalPath, Path.GetFileName(originalPath), bytes =>
        {
            weakened = ElfVersionNeedPatcher.MarkMissingAsWeak(bytes, neededFile, providedVersions, originalPath);
            return weakened.Count > 0;
        });
        return new PatchedLibrary(path, weakened, reused);
    }

    /// <summary>
    /// Applies <paramref name="patch"/> to an in-memory copy of <paramref name="originalPath"/> and, if it
    /// reports a change, stores the result as <paramref name="fileName"/> in the private cache.
    /// </summary>
    /// <returns>The cached copy's path and whether it already existed; the original path if nothing changed.</returns>
    public static (string Path, bool Reused) GetOrCreate(string originalPath, string fileName, Func<byte[], bool> patch)
    {
        byte[] original = File.ReadAllBytes(originalPath);
        byte[] patched = (byte[])original.Clone();
        if (!patch(patched))
            return (originalPath, false);

        // Key by the original's content: a different build of the library gets a different folder.
        string key = Convert.ToHexStringLower(SHA256.HashData(original))[..32];
        var errors = new List<string>();
        foreach (var root in CacheRoots())
        {
            string dir = Path.Combine(root, "galore-planner", "native", key);
            string target = Path.Combine(dir, fileName);
            try
            {
                if (File.Exists(target) && File.ReadAllBytes(target).AsSpan().SequenceEqual(patched))
                    return (target, true);
                Directory.CreateDirectory(dir);
                WriteAtomically(target, patched);
                return (target, false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Add($"  {dir}: {e.Message}");
            }
        }
        throw new IOException($"could not write a patched copy of {originalPath} to any cache folder:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}");
    }

    /// <summary>$XDG_CACHE_HOME (if absolute), ~/.cache, then the system temp folder.</summary>
    public static IEnumerable<string> CacheRoots()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)) // the XDG spec says to ignore relative paths
            yield return xdg;
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (!string.IsNullOrEmpty(home))
            yield return Path.Combine(home, ".cache");
        yield return Path.Combine(Path.GetTempPath(), $"galore-planner-{Environment.UserName}");
    }

    /// <summary>Writes <paramref name="bytes"/> to a unique temp file beside <paramref name="target"/>, then renames it over the target.</summary>
    internal static void WriteAtomically(string target, byte[] bytes)
    {
        string temp = $"{target}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                           UnixFileMode.GroupRead | UnixFileMode.GroupExecute |
                                           UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            File.Move(temp, target, overwrite: true); // rename(2): atomic replacement on POSIX file systems
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
