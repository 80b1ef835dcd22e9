using System.CommandLine;
using System.Globalization;
using GaLore.Cli.Options;
using GaLore.Cli.Profiling;
using GaLore.Cli.Reports;
using GaLore.Cli.Reports.Validation;
using GaLore.Planner;
using GaLore.Planner.Devices;
using GaLore.Profiler.Measurement;
using GaLore.Profiler.Validation;

namespace GaLore.Cli.Commands;

/// <summary>
/// <c>galore-plan validate</c>: runs a matrix of configurations (each in its own child process), pairs every measured
/// peak with the planner's prediction, and writes <c>validation.csv</c>, charts and a summary. Rows are saved as they
/// finish; <c>--resume</c> continues an interrupted run without redoing finished rows.
/// </summary>
public static class ValidateCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var where = new ProfileOptions();
        var outDir = new Option<string>("--out") { Description = "Folder for validation.csv, noise.csv, charts/ and summary.md/.html", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out: keep its rows and run only the missing configurations" };
        var matrix = new Option<string>("--matrix") { Description = "Configurations: cpu (137: 57 Llama-family, 20 other optimizer families, 8 peft adapters, 30 other dense families, 22 mixture-of-experts; ≈ 65 min on 2 cores) or smoke (2, seconds)", DefaultValueFactory = _ => "cpu" };
        var noise = new Option<string?>("--noise-repeats") { Description = "Runs of the first configuration that measure the noise floor (default 3; 0 skips)" };
        var notes = new Option<string?>("--notes") { Description = "A Markdown file whose text becomes the report's Analysis section" };
        var reportOnly = new Option<bool>("--report-only") { Description = "Only rewrite the charts and summary from the CSV in --out" };
        var repredict = new Option<bool>("--repredict")
        {
            Description = "Recompute every row's prediction in the CSV in --out with this build's planner and rewrite the report; the measurements are kept " +
                          "(for planner changes that do not touch what is measured)",
        };
        var rerun = new Option<string?>("--rerun") { Description = "With --resume: measure again the configurations whose key contains this text" };
        var only = new Option<string?>("--only")
        {
            Description = "Run only the configurations whose key contains this text (e.g. '|adamw_8bit' or 'qwen3-'); the others are left as they are",
        };
        var cmd = new Command("validate",
            "Measure a matrix of real training steps (every optimizer name, several model shapes, precisions, checkpointing) and compare each peak " +
            "with the planner's prediction. Writes validation.csv (one row per configuration, saved as it finishes), a predicted-vs-measured " +
            "parity chart, error bars per category (PNG and SVG), and summary.md/.html with the error table.")
        {
            outDir, resume, matrix, noise, notes, reportOnly, repredict, rerun, only,
        };
        where.AddTo(cmd);
        cmd.SetAction(r =>
        {
            string dir = OutputFolder.Check(r.GetValue(outDir)!);
            var err = r.InvocationConfiguration.Error;
            var device = where.BindDeviceProfile(r);
            string deviceName = where.BindDevice(r);
            string? notesText = r.GetValue(notes) is { } path ? Planner.Inputs.InputFile.ReadText(path, "notes file") : null;
            // Every input is checked before the first child process starts.
            bool measures = !r.GetValue(reportOnly) && !r.GetValue(repredict);
            if (r.GetValue(reportOnly) && r.GetValue(repredict)) throw new PlannerInputException("--report-only and --repredict: choose one");
            IReadOnlyList<ValidationCase> all = r.GetValue(reportOnly) ? [] : ValidationMatrix.Named(r.GetValue(matrix)!);
            List<ValidationCase> cases = [.. all];
            if (r.GetValue(only) is { Length: > 0 } filter)
            {
                cases = cases.Where(c => c.Key.Contains(filter, StringComparison.Ordinal)).ToList();
                if (cases.Count == 0 && measures) throw new PlannerInputException($"--only '{filter}' matches no configuration of the matrix");
            }
            var timeout = where.BindTimeout(r);
            int repeats = Values.Int(r.GetValue(noise), "--noise-repeats") ?? 3;
            if (repeats < 0) throw new PlannerInputException($"--noise-repeats must not be negative, got {repeats}");
            if (measures) LibTorchCheck.Require("validate");
            using var folderLock = FolderLock.Acquire(dir, "validate");
            if (r.GetValue(repredict) && !File.Exists(Path.Combine(dir, "validation.csv")))
                throw new PlannerInputException($"{Path.Combine(dir, "validation.csv")} does not exist: there is nothing to re-predict");
            var store = ValidationStore.Open(dir, r.GetValue(resume) || !measures);
            if (r.GetValue(repredict)) Repredict(store, all, r.GetValue(only), device, err);
            var noiseRuns = ReadNoise(dir);
            if (measures)
            {
                var worker = WorkerLauncher.Command(timeout);
                if (repeats > 1 && noiseRuns.Count == 0) noiseRuns = MeasureNoise(dir, cases[0], deviceName, worker, repeats, err);
                for (int k = 0; k < cases.Count; k++)
                {
                    var c = cases[k];
                    string tag = $"[{k + 1}/{cases.Count}] {c.Key}";
                    bool again = r.GetValue(rerun) is { Length: > 0 } text && c.Key.Contains(text, StringComparison.Ordinal);
                    if (store.Has(c.Key) && !again) { err.WriteLine($"{tag}: done in an earlier run"); continue; }
                    err.WriteLine($"{tag}: running ...");
                    var row = ValidationRow.Of(c, device, ChildProcessRunner.Run(worker, c.Request(deviceName)));
                    store.Add(ValidationRecord.From(row));
                    err.WriteLine(row.ErrorPercent is { } e
                        ? string.Create(CultureInfo.InvariantCulture, $"{tag}: predicted {row.PredictedPeakBytes / 1048576.0:0.0} MiB, measured {row.MeasuredPeakBytes!.Value / 1048576.0:0.0} MiB, error {ValidationSummary.Pct(e)}")
                        : $"{tag}: FAILED: {row.Result.Error}");
                }
            }
            // The command that regenerates everything from scratch (not this invocation's --resume/--report-only).
            string regenerate = $"{CommandLineText.Program()} validate --device {deviceName} --matrix {r.GetValue(matrix)} --out {CommandLineText.Quote(dir)}"
                                + (r.GetValue(notes) is { } n ? $" --notes {CommandLineText.Quote(n)}" : "");
            var ctx = new ValidationReport.Context(regenerate, Describe(deviceName, store.Rows), Method(deviceName), noiseRuns, notesText);
            var files = ValidationReport.Write(dir, store.Rows, ctx);
            var summary = ValidationSummary.Of(store.Rows);
            r.InvocationConfiguration.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{summary.Measured} configurations measured, {summary.Within5} within ±5 %, median error {ValidationSummary.Pct(summary.MedianError)}, " +
                $"quantized-state rows within ±2 %: {summary.QuantizedWithin2} of {summary.Quantized}, " +
                $"largest |error| {summary.MaxAbsError:0.00} %. Wrote {files.Count} files to {dir}."));
            return 0;
        });
        return cmd;
    }

    /// <summary>Every row's prediction again (with <paramref name="only"/>, the rows whose key contains it), from the matrix's
    /// case of the same key; a row whose key the matrix no longer has is a one-line error (its configuration is unknown to
    /// this build).</summary>
    static void Repredict(ValidationStore store, IReadOnlyList<ValidationCase> matrix, string? only, DeviceProfile device, TextWriter err)
    {
        var byKey = matrix.ToDictionary(c => c.Key, StringComparer.Ordinal);
        bool Selected(ValidationRecord row) => only is not { Length: > 0 } || row.Key.Contains(only, StringComparison.Ordinal);
        var rows = store.Rows.Select(row => !Selected(row) ? row
            : byKey.TryGetValue(row.Key, out var c) ? row.Repredicted(c, device)
            : throw new PlannerInputException($"row '{row.Key}' is not a configuration of this matrix: it cannot be re-predicted (measure it again, or narrow --only)")).ToList();
        store.ReplaceAll(rows);
        err.WriteLine($"re-predicted {rows.Count(Selected)} rows with this build's planner (measurements kept)");
    }

    static List<long> MeasureNoise(string dir, ValidationCase c, string device, WorkerCommand worker, int repeats, TextWriter err)
    {
        var runs = new List<long>();
        for (int k = 0; k < repeats; k++)
        {
            err.WriteLine($"[noise {k + 1}/{repeats}] {c.Key}: running ...");
            var result = ChildProcessRunner.Run(worker, c.Request(device));
            if (result.MeasuredPeakBytes is { } m) runs.Add(m);
            else err.WriteLine($"[noise {k + 1}/{repeats}] FAILED: {result.Error}");
        }
        CsvOut.Write(Path.Combine(dir, "noise.csv"), ["key", "run", "measured_peak_bytes"], runs.Select((m, k) => (IReadOnlyList<object?>)[c.Key, k + 1, m]));
        return runs;
    }

    /// <summary>The noise runs of an earlier run; a damaged file is a one-line error (delete it to measure the floor again).</summary>
    static List<long> ReadNoise(string dir)
    {
        string file = Path.Combine(dir, "noise.csv");
        if (!File.Exists(file)) return [];
        var lines = Planner.Inputs.InputFile.ReadText(file, "noise file").Split('\n');
        PlannerInputException Damaged(int line, string why) =>
            new($"{file} is damaged at line {line}: {why}; delete it to measure the noise floor again");
        if (lines[0] != "key,run,measured_peak_bytes") throw Damaged(1, $"header '{lines[0]}' is not key,run,measured_peak_bytes");
        if (lines[^1].Length != 0) throw Damaged(lines.Length, "the last line is cut off");
        var runs = new List<long>();
        for (int i = 1; i < lines.Length - 1; i++)
        {
            string l = lines[i];
            int comma = l.LastIndexOf(',');
            if (comma < 0 || !long.TryParse(l.AsSpan(comma + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long bytes) || bytes <= 0)
                throw Damaged(i + 1, $"'{l}' does not end in a positive byte count");
            runs.Add(bytes);
        }
        return runs;
    }

    static string Method(string device) => device == "cpu"
        ? "CPU: each configuration runs in a fresh child process (`galore-plan profile-worker`) with glibc's " +
          "`MALLOC_MMAP_THRESHOLD_=16384`, `MALLOC_TOP_PAD_=0` and `MALLOC_TRIM_THRESHOLD_=0`, so every tensor of 16 KiB or more are mapped and unmapped with their lifetimes. " +
          "The worker runs without tiered compilation (no re-JIT inside the measured steps), warms the runtime (small ops, then two steps of a " +
          "throw-away copy of the same model and optimizer, freed; a 16-bit mixture of experts replays its whole run instead, so oneDNN's " +
          "per-shape kernels are in the baseline), collects garbage and calls malloc_trim(0), reads VmRSS as the baseline, builds the model and optimizer, runs warm-up steps (enough that a GaLore refresh — step % T = 0 — " +
          "falls in the measured window), resets the peak by writing 5 to /proc/self/clear_refs, runs the measured steps and reads VmHWM. " +
          "Measured = VmHWM − baseline; predicted = the planner's tensor peak for the `torchsharp` runtime on the CPU device."
        : "CUDA: device-used memory (NVML, sampled during the measured steps) above the baseline taken before the model exists; " +
          "predicted = the planner's device-used peak (reserved + cuBLAS workspace + context).";

    /// <summary>The machine, and what the measured rows actually ran on (each worker records its loaded TorchSharp and libtorch).</summary>
    static string Describe(string device, IEnumerable<ValidationRecord> rows)
    {
        var runtimes = rows.Where(x => x.Measured && x.Runtime.Length > 0).Select(x => x.Runtime).Distinct().ToList();
        string runtime = runtimes.Count switch
        {
            0 => "the runtime was not recorded by these rows",
            1 => runtimes[0],
            _ => "rows ran on different runtimes: " + string.Join("; ", runtimes),
        };
        string cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU"
            : "unknown CPU";
        return $"Machine: {Environment.ProcessorCount} cores ({cpu}), {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, " +
               $".NET {Environment.Version}, device {device}; measured with {runtime}.";
    }
}
