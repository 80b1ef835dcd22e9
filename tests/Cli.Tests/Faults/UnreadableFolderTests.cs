using System.Diagnostics;

namespace GaLore.Cli.Tests.Faults;

/// <summary>A fact that runs only where the test can run the CLI as another user (root with <c>setpriv</c>): root reads
/// every folder, so "not readable" can only be seen as someone else.</summary>
public sealed class OtherUserFactAttribute : FactAttribute
{
    public OtherUserFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root" || !File.Exists("/usr/bin/setpriv"))
            Skip = "needs root and /usr/bin/setpriv to run the CLI as user nobody";
    }
}

/// <summary>An unreadable folder is reported as unreadable, not as "not found" (issue #14).</summary>
public class UnreadableFolderTests
{
    [OtherUserFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void A_config_behind_an_unreadable_folder_says_so()
    {
        var dir = Directory.CreateTempSubdirectory("galore-locked");
        try
        {
            File.SetUnixFileMode(dir.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var psi = new ProcessStartInfo("/usr/bin/setpriv") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "dotnet", ProcessRunner.CliDll, "fit", "--model", Path.Combine(dir.FullName, "config.json") })
                psi.ArgumentList.Add(a);
            psi.Environment["HOME"] = Path.GetTempPath();
            psi.WorkingDirectory = Path.GetTempPath();
            using var p = Process.Start(psi)!;
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.Equal(2, p.ExitCode);
            Assert.Contains($"cannot be reached: folder '{dir.FullName}' is not readable (permission denied)", err);
        }
        finally { dir.Delete(true); }
    }
}
