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

            // --repredict recomputes the predicted columns (here: spoiled by hand) and keeps the measured ones.
            var header = csv[0].Split(',');
            int predicted = Array.IndexOf(header, "predicted_peak_bytes"), measured = Array.IndexOf(header, "measured_peak_bytes");
            string[] Cells(string line) => System.Text.RegularExpressions.Regex.Split(line, ",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)");
            var spoiled = csv.Select((line, i) =>
            {
                if (i == 0) return line;
                var cells = Cells(line);
                cells[predicted] = "1";
                return string.Join(',', cells);
            }).ToArray();
            File.WriteAllLines(Path.Combine(dir.FullName, "validation.csv"), spoiled);
            var re = ProcessRunner.Run(null, "validate", "--matrix", "smoke", "--out", dir.FullName, "--repredict");
            Assert.True(re.Exit == 0, re.Err);
            Assert.Contains("re-predicted 2 rows", re.Err);
            var after = File.ReadAllLines(Path.Combine(dir.FullName, "validation.csv"));
            for (int i = 1; i < csv.Length; i++)
            {
                Assert.Equal(Cells(csv[i])[predicted], Cells(after[i])[predicted]);
                Assert.Equal(Cells(csv[i])[measured], Cells(after[i])[measured]);
            }
            Assert.Equal(2, ProcessRunner.Run(null, "validate", "--out", dir.FullName, "--repredict", "--report-only").Exit);
        }
        finally { dir.Delete(true); }
    }
}
