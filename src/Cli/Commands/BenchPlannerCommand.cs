using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using GaLore.Cli.Output;
using GaLore.Planner.Devices;
using GaLore.Planner.Fit;
using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;

namespace GaLore.Cli.Commands;

/// <summary>
/// <c>galore-plan bench-planner</c>: how many configurations per second the planner evaluates on one thread.
/// A configuration is one (model, optimizer, rank, batch, sequence) point answered as <c>fit</c> answers it:
/// allocated and reserved peaks on a CUDA device. Compiling a step (per model, optimizer and rank) is timed apart.
/// </summary>
public static class BenchPlannerCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var outDir = new Option<string?>("--out") { Description = "Folder for planner-throughput.md and .csv (default: print only)" };
        var seconds = new Option<string?>("--seconds") { Description = "Seconds of timing per model (default 2)" };
        var cmd = new Command("bench-planner", "Measure how many configurations per second the planner evaluates on one core.") { outDir, seconds };
        cmd.SetAction(r =>
        {
            double budget = Options.Values.Double(r.GetValue(seconds), "--seconds") ?? 2;
            var rows = Run(budget, r.InvocationConfiguration.Output);
            var md = Markdown(rows);
            r.InvocationConfiguration.Output.WriteLine(md);
            if (r.GetValue(outDir) is { } dir)
            {
                Directory.CreateDirectory(dir);
                Reports.AtomicFile.WriteText(Path.Combine(dir, "planner-throughput.md"), md);
                Reports.AtomicFile.WriteLines(Path.Combine(dir, "planner-throughput.csv"),
                    ["model,events,configs_per_second_with_breakdown,verdicts_per_second,compile_microseconds", .. rows.Select(x => string.Create(CultureInfo.InvariantCulture,
                        $"{x.Model},{x.Events},{x.ConfigsPerSecond:F0},{x.VerdictsPerSecond:F0},{x.CompileMicroseconds:F1}"))]);
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>One model's numbers.</summary>
    public sealed record Row(string Model, int Events, double ConfigsPerSecond, double VerdictsPerSecond, double CompileMicroseconds);

    static List<Row> Run(double seconds, TextWriter progress)
    {
        var gpu = GpuCatalog.Resolve("h100-80gb");
        var device = DeviceProfile.Cuda(gpu.ComputeCapability);
        var rows = new List<Row>();
        foreach (var name in new[] { "llama-60m", "llama-1b", "llama-7b", "llama-3-8b", "qwen2.5-7b" })
        {
            var model = ModelPresets.Find(name)!;
            var programs = new List<DevicePrograms>();
            var compile = Stopwatch.StartNew();
            foreach (var opt in OptimizerSpec.Names)
                foreach (int rank in new[] { 128, 512 })
                    programs.Add(DevicePrograms.Compile(new StepSpec(model, OptimizerSetup.FromName(opt, GaLoreSettings.Default with { Rank = rank }),
                        new Precision(PrecisionMode.Bf16)), device));
            double compileUs = compile.Elapsed.TotalMicroseconds / programs.Count;
            int events = programs[0].Allocated.Segments.Sum(s => s.Events.Length);
            long configs = 0, sink = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed.TotalSeconds < seconds)
                foreach (var p in programs)
                    for (int batch = 1; batch <= 64; batch *= 2)
                        for (int seq = 128; seq <= 4096; seq *= 2)
                        {
                            sink += MemoryEstimate.Of(p, batch, seq).DeviceUsedBytes;
                            configs++;
                        }
            double rate = configs / clock.Elapsed.TotalSeconds;
            long verdicts = 0;
            clock.Restart();
            while (clock.Elapsed.TotalSeconds < seconds)
                foreach (var p in programs)
                    for (int batch = 1; batch <= 64; batch *= 2)
                        for (int seq = 128; seq <= 4096; seq *= 2)
                        {
                            sink += p.DeviceUsedBytes(batch, seq);
                            verdicts++;
                        }
            double verdictRate = verdicts / clock.Elapsed.TotalSeconds;
            GC.KeepAlive(sink);
            progress.WriteLine($"{name}: {rate / 1e6:F2} M configurations/s with breakdown, {verdictRate / 1e6:F2} M verdicts/s, compile {compileUs:F0} µs");
            rows.Add(new Row(name, events, rate, verdictRate, compileUs));
        }
        return rows;
    }

    static string Markdown(List<Row> rows)
    {
        var w = new StringWriter();
        w.WriteLine("# Planner throughput");
        w.WriteLine();
        w.WriteLine($"One thread, {Environment.ProcessorCount}-core machine, .NET {Environment.Version}. A configuration = one (model, optimizer, rank, batch, seq)");
        w.WriteLine("point on an H100 profile. **With breakdown**: evaluated as `fit` does — the allocated peak with its five-way breakdown plus");
        w.WriteLine("the reserved peak. **Verdict**: the device-used peak alone, as `sweep` and the largest-batch search use it. 12 optimizers ×");
        w.WriteLine("ranks {128, 512} are compiled once per model (\"compile\"); then batch ∈ {1..64} × seq ∈ {128..4096} is evaluated repeatedly.");
        w.WriteLine("Regenerate: `dotnet run --project src/Cli -c Release -- bench-planner --out reports/planner`.");
        w.WriteLine();
        w.WriteLine("| model | events per step (compacted) | configurations / s, with breakdown | verdicts / s | compile per optimizer (µs) |");
        w.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var r in rows)
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {r.Model} | {r.Events} | {r.ConfigsPerSecond:N0} | {r.VerdictsPerSecond:N0} | {r.CompileMicroseconds:F0} |"));
        return w.ToString();
    }
}
