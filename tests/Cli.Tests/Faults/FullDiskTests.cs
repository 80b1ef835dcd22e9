using System.Text.RegularExpressions;
using GaLore.Cli.Tests.Reports;

namespace GaLore.Cli.Tests.Faults;

/// <summary>
/// A full disk: every command that writes files fails with one line (exit 2) naming the file and saying what was
/// written, and leaves nothing half-written under a final name — each file that is there is complete, no temporary file
/// is left behind.
/// </summary>
[Collection("faults")]
public class FullDiskTests
{
    /// <summary>Every file left in <paramref name="dir"/> is whole: PNGs end with IEND, SVGs parse, CSV lines all have
    /// the header's field count and end in a newline, HTML and Markdown end as their writer ends them; no temp files.</summary>
    static void NothingTorn(string dir)
    {
        foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
        {
            string name = Path.GetFileName(file);
            if (name == "filler") continue;
            Assert.False(name.EndsWith(".tmp", StringComparison.Ordinal), $"temporary file left: {file}");
            var bytes = File.ReadAllBytes(file);
            Assert.True(bytes.Length > 0, $"empty file under a final name: {file}");
            switch (Path.GetExtension(file))
            {
                case ".png":
                    Assert.True(ReportFolder.IsPngBytes(bytes) && bytes.AsSpan(bytes.Length - 8, 4).SequenceEqual("IEND"u8), $"truncated PNG: {file}");
                    break;
                case ".svg":
                    Assert.True(ReportFolder.IsSvg(file), $"broken SVG: {file}");
                    break;
                case ".csv":
                    Assert.Equal((byte)'\n', bytes[^1]);
                    var (header, rows) = ReportFolder.ReadCsv(file);
                    Assert.All(rows, r => Assert.Equal(header.Length, r.Length));
                    break;
                case ".html":
                    Assert.EndsWith("</html>\n", File.ReadAllText(file));
                    break;
            }
        }
    }

    /// <summary>Exit 2 and one error line (after any progress lines), naming the file and what was written.</summary>
    static void OneLineDiskError(int exit, string output, string error)
    {
        Assert.Equal(2, exit);
        var lines = error.TrimEnd('\n').Split('\n');
        Assert.Single(lines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Matches(new Regex("^error: could not write [^ ]+: .*(No space left on device|the disk was full) — nothing was left under that name; " +
                                 "(no file was written before it|complete files written before it: .+|\\d+ complete files were written before it, the last .+)$"), lines[^1]);
        Assert.DoesNotContain("   at ", error);
    }

    [SmallDiskFact]
    public void Report_on_a_full_disk_leaves_only_whole_files()
    {
        using var disk = SmallDisk.TryMount(1024, out _)!;
        // Room for the CSVs and a chart or two, not for the whole report.
        disk.LeaveFree(160 << 10);
        string dir = Path.Combine(disk.Path, "report");
        var (exit, output, error) = CliRunner.Run("report", "--models", "tiny,llama-60m", "--optims", "adamw,galore_adamw_8bit_layerwise", "--gpu", "24GiB", "--out", dir);
        OneLineDiskError(exit, output, error);
        NothingTorn(disk.Path);
    }

    [SmallDiskFact]
    public void Sweep_on_a_full_disk_leaves_only_whole_files()
    {
        using var disk = SmallDisk.TryMount(1024, out _)!;
        disk.LeaveFree(96 << 10);
        string dir = Path.Combine(disk.Path, "sweep");
        var (exit, output, error) = CliRunner.Run("sweep", "--model", "llama-60m", "--vary", "batch=1..2000:1,seq=256..1024", "--out", dir);
        OneLineDiskError(exit, output, error);
        NothingTorn(disk.Path);
        Assert.False(File.Exists(Path.Combine(dir, "sweep.csv")), "sweep.csv cannot fit in 96 KiB and must not be there cut short");
    }

    [SmallDiskFact]
    public void Fit_timeline_on_a_full_disk_is_one_line_and_leaves_nothing_torn()
    {
        using var disk = SmallDisk.TryMount(512, out _)!;
        disk.LeaveFree(8 << 10);
        var (exit, output, error) = CliRunner.Run("fit", "--model", "llama-60m", "--timeline", Path.Combine(disk.Path, "t"));
        OneLineDiskError(exit, output, error);
        NothingTorn(disk.Path);
    }

    [Fact]
    public void A_truncated_noise_file_is_a_one_line_error_not_a_spread()
    {
        using var dir = new ReportFolder();
        Directory.CreateDirectory(dir.Path);
        // Before: a truncated noise.csv read silently (a "150 % spread") or failed with exit 1 FormatException.
        File.WriteAllText(dir["noise.csv"], "key,run,measured_peak_bytes\nsmoke|x,1,171000000\nsmoke|x,2,17");
        var (exit, output, error) = CliRunner.Run("validate", "--report-only", "--out", dir.Path);
        Assert.Equal(2, exit);
        Assert.Contains("noise.csv is damaged at line 3: the last line is cut off; delete it to measure the noise floor again", error);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
        File.WriteAllText(dir["noise.csv"], "key,run,measured_peak_bytes\nsmoke|x,1,abc\n");
        Assert.Contains("does not end in a positive byte count", CliRunner.Run("validate", "--report-only", "--out", dir.Path).Err);
    }
}
