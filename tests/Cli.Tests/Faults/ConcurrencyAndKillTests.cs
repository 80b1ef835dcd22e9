using System.Diagnostics;
using GaLore.Cli.Reports;
using GaLore.Cli.Reports.Validation;
using GaLore.Cli.Tests.Reports;

namespace GaLore.Cli.Tests.Faults;

/// <summary>
/// Two runs on one folder, and kill -9 of <c>validate</c> and of a worker, with real child processes: the second run is
/// refused naming the holder, a kill leaves no stale lock, no torn file and no lost row.
/// </summary>
[Collection("faults")]
public class ConcurrencyAndKillTests
{
    static Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(ProcessRunner.CliDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    static void WaitFor(Func<bool> condition, string what, int seconds = 600)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed.TotalSeconds > seconds) throw new TimeoutException($"waited {seconds} s for {what}");
            Thread.Sleep(100);
        }
    }

    /// <summary>Children of a process (from /proc: the ppid field of /proc/PID/stat).</summary>
    static List<int> Children(int pid)
    {
        var list = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int child)) continue;
            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1]) == pid) list.Add(child);
            }
            catch (IOException) { }
        }
        return list;
    }

    static void Kill9(int pid)
    {
        using var p = Process.Start("kill", ["-9", pid.ToString()])!;
        p.WaitForExit();
    }

    static IReadOnlyList<ValidationRecord> Rows(string dir) => ValidationStore.Read(Path.Combine(dir, "validation.csv"));

    static void NoTemporaryFiles(string dir) =>
        Assert.Empty(Directory.EnumerateFiles(dir, "*.tmp", SearchOption.AllDirectories));

    [Fact]
    public void A_second_run_on_a_locked_folder_is_refused_naming_the_holder()
    {
        using var dir = new ReportFolder();
        using (FolderLock.Acquire(dir.Path, "validate (test holder)"))
        {
            var (exit, output, error) = ProcessRunner.Run(null, "validate", "--report-only", "--out", dir.Path);
            Assert.Equal(2, exit);
            Assert.Equal("", output);
            Assert.Contains($"is in use by pid {Environment.ProcessId} (validate (test holder), started ", error);
            Assert.Single(error.TrimEnd('\n').Split('\n'));
        }
        // Released: the next run goes ahead.
        Assert.Equal(0, ProcessRunner.Run(null, "validate", "--report-only", "--out", dir.Path).Exit);
    }

    [Fact]
    public void Killing_validate_keeps_finished_rows_frees_the_lock_and_resume_completes_the_run()
    {
        using var dir = new ReportFolder();
        var first = Start("validate", "--matrix", "smoke", "--noise-repeats", "0", "--out", dir.Path);
        string csv = dir["validation.csv"];
        // While it runs, a second run on the same folder is refused.
        WaitFor(() => File.Exists(dir[FolderLock.FileName + ".owner"]), "the first run to take the lock");
        var second = ProcessRunner.Run(null, "validate", "--matrix", "smoke", "--resume", "--noise-repeats", "0", "--out", dir.Path);
        Assert.Equal(2, second.Exit);
        Assert.Contains($"in use by pid {first.Id} (validate", second.Err);
        // kill -9 after its first row is saved, with the second row's worker running.
        WaitFor(() => File.Exists(csv) && Rows(dir.Path).Count == 1, "the first row");
        var workers = Children(first.Id);
        Kill9(first.Id);
        first.WaitForExit();
        foreach (var w in workers) Kill9(w);
        Assert.Equal(137, first.ExitCode);
        var kept = Rows(dir.Path);
        Assert.Single(kept);                        // nothing torn: the saved row reads back whole
        NoTemporaryFiles(dir.Path);
        // The kernel released the lock with the process: resume runs, keeps the finished row and measures the other.
        var resumed = ProcessRunner.Run(null, "validate", "--matrix", "smoke", "--resume", "--noise-repeats", "0", "--out", dir.Path);
        Assert.True(resumed.Exit == 0, resumed.Err);
        Assert.Contains("done in an earlier run", resumed.Err);
        var all = Rows(dir.Path);
        Assert.Equal(2, all.Count);
        Assert.Equal(kept[0], all[0]);              // nothing lost, nothing rewritten
        NoTemporaryFiles(dir.Path);
    }

    [Fact]
    public void Killing_a_worker_records_a_failed_row_and_the_run_goes_on()
    {
        using var dir = new ReportFolder();
        var run = Start("validate", "--matrix", "smoke", "--noise-repeats", "0", "--out", dir.Path);
        List<int> workers = [];
        WaitFor(() => (workers = Children(run.Id)).Count > 0, "the first worker");
        Thread.Sleep(500);
        foreach (var w in workers) Kill9(w);
        Assert.True(run.WaitForExit(600_000), "validate did not finish");
        Assert.Equal(0, run.ExitCode);
        var rows = Rows(dir.Path);
        Assert.Equal(2, rows.Count);
        Assert.Contains("SIGKILL", rows[0].Error);   // the worker's death, as ChildProcessRunner describes it
        Assert.True(rows[1].Measured, rows[1].Error);
        NoTemporaryFiles(dir.Path);
    }
}
