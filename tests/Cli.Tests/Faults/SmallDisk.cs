using System.Diagnostics;

namespace GaLore.Cli.Tests.Faults;

/// <summary>A tiny tmpfs mounted for one test (a full disk on demand), unmounted afterwards. Mounting needs privileges:
/// <see cref="SmallDiskFactAttribute"/> skips, with the reason, where it cannot be mounted.</summary>
public sealed class SmallDisk : IDisposable
{
    /// <summary>The mount point.</summary>
    public string Path { get; }

    SmallDisk(string path) => Path = path;

    /// <summary>Mounts a tmpfs of <paramref name="kib"/> KiB; null (and the reason) when that is not possible here.</summary>
    public static SmallDisk? TryMount(int kib, out string reason)
    {
        string dir = Directory.CreateTempSubdirectory("galore-small-disk").FullName;
        var (code, err) = Run("mount", "-t", "tmpfs", "-o", $"size={kib}k", "tmpfs", dir);
        if (code == 0)
        {
            reason = "";
            return new SmallDisk(dir);
        }
        Directory.Delete(dir);
        reason = $"cannot mount a tmpfs here (mount exit {code}: {err.Trim()}); run the tests as root to include the full-disk cases";
        return null;
    }

    /// <summary>Fills the disk up to <paramref name="freeBytes"/> free bytes.</summary>
    public void LeaveFree(long freeBytes)
    {
        var info = new DriveInfo(Path);
        long fill = info.AvailableFreeSpace - freeBytes;
        if (fill <= 0) return;
        using var f = File.Create(System.IO.Path.Combine(Path, "filler"));
        var block = new byte[4096];
        for (long written = 0; written < fill; written += block.Length) f.Write(block, 0, (int)Math.Min(block.Length, fill - written));
    }

    public void Dispose()
    {
        Run("umount", Path);
        try { Directory.Delete(Path, true); }
        catch (IOException) { }
    }

    static (int Code, string Err) Run(string file, params string[] args)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false })!;
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, err);
        }
        catch (System.ComponentModel.Win32Exception e) { return (-1, e.Message); }
    }
}

/// <summary>A fact that is skipped, with the reason, where a tmpfs cannot be mounted (no root).</summary>
public sealed class SmallDiskFactAttribute : FactAttribute
{
    static readonly string? Reason = Probe();

    public SmallDiskFactAttribute()
    {
        if (Reason is not null) Skip = Reason;
    }

    static string? Probe()
    {
        using var disk = SmallDisk.TryMount(64, out string reason);
        return disk is null ? reason : null;
    }
}
