namespace GaLore.Cli.Tests.Profiling;

public class ValidateCommandTests
{
    [Fact]
    public void Smoke_matrix_writes_csv_charts_and_summary_and_resume_skips_finished_rows()
    {
        var dir = Directory.CreateTempSubdirectory("galore-validate");
        try
        {
            var (exit, output, err) = ProcessRunner.Run(null, "validate", "--matrix", "smoke", "--out", dir.FullName, "--noise-repeats", "0");
            Assert.True(exit == 0, err);
            Assert.Contains("2 configurations measured", output);
            var csv = File.ReadAllLines(Path.Combine(dir.FullName, "validation.csv"));
            Assert.Equal(3, csv.Length); // header + 2 rows
            foreach (var f in new[] { "summary.md", "summary.html", "charts/parity.png", "charts/parity.svg", "charts/error-by-optimizer.png" })
                Assert.True(File.Exists(Path.Combine(dir.FullName, f)), f);

            // A second run without --resume refuses to overwrite; with --resume it finds nothing to do.
            var again = ProcessRunner.Run(null, "validate", "--matrix", "smoke", "--out", dir.FullName);
            Assert.Equal(2, again.Exit);
            Assert.Contains("pass --resume", again.Err);
            var resumed = ProcessRunner.Run(null, "validate", "--matrix", "smoke", "--out", dir.FullName, "--resume", "--noise-repeats", "0");
            Assert.Equal(0, resumed.Exit);
            Assert.Equal(2, resumed.Err.Split('\n').Count(l => l.Contains("done in an earlier run")));
            Assert.Equal(csv, File.ReadAllLines(Path.Combine(dir.FullName, "validation.csv")));
        }
        finally { dir.Delete(true); }
    }
}
