using System.CommandLine;
using System.Globalization;
using GaLore.Cli.Options;
using GaLore.Cli.Reports;
using GaLore.Kernels.Benchmarks;

namespace GaLore.Cli.Commands;

/// <summary>
/// <c>galore-plan bench-kernels</c>: the kernels' CPU benchmark, all ratios from one run — GaLore-AdamW vs AdamW step
/// time (no refresh), 8-bit vs 32-bit AdamW step time, and full-SVD vs randomized refresh time with the subspace
/// agreement reached (<see cref="KernelBenchmark"/>).
/// </summary>
public static class BenchKernelsCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var outDir = new Option<string?>("--out") { Description = "Folder for kernels.md and kernels.csv (default: print only)" };
        var quick = new Option<bool>("--quick") { Description = "A 512 × 1376 weight at rank 32 (seconds) instead of 4096 × 11008 at rank 128 (minutes)" };
        var bf16 = new Option<bool>("--bf16") { Description = "Weight, gradient and AdamW states in bf16" };
        var runs = new Option<string?>("--runs") { Description = "Timed runs per figure, median reported (default 3)" };
        var cmd = new Command("bench-kernels",
            "Time the kernels on one weight (CPU): GaLore-AdamW, APOLLO and APOLLO-Mini vs AdamW step, 8-bit vs 32-bit AdamW step, " +
            "SVD vs randomized projector refresh, and APOLLO's Gaussian refresh (no SVD).")
        {
            outDir, quick, bf16, runs,
        };
        cmd.SetAction(r =>
        {
            var o = r.GetValue(quick) ? KernelBenchmarkOptions.Quick : new KernelBenchmarkOptions();
            o = o with { BFloat16 = r.GetValue(bf16), Runs = Values.PositiveInt(r.GetValue(runs), "--runs", 3) };
            r.InvocationConfiguration.Error.WriteLine($"timing a {o.Rows} × {o.Cols} weight at rank {o.Rank} ({(o.BFloat16 ? "bf16" : "fp32")}, {o.Runs} runs each) ...");
            var result = KernelBenchmark.Run(o);
            var md = Markdown(result, CommandLineText.Reproduce(r));
            r.InvocationConfiguration.Output.Write(md);
            if (r.GetValue(outDir) is { } dir)
            {
                Directory.CreateDirectory(dir);
                string stem = $"kernels-{o.Rows}x{o.Cols}-{(o.BFloat16 ? "bf16" : "fp32")}";
                Reports.AtomicFile.WriteText(Path.Combine(dir, stem + ".md"), md);
                CsvOut.Write(Path.Combine(dir, stem + ".csv"), ["measure", "value", "unit"],
                [
                    ["adamw_step", result.AdamWStepMs, "ms"], ["galore_adamw_step", result.GaLoreAdamWStepMs, "ms"],
                    ["galore_to_adamw", result.GaLoreToAdamW, "ratio"], ["adamw_8bit_step", result.AdamW8bitStepMs, "ms"],
                    ["eight_bit_to_32_bit", result.EightBitTo32Bit, "ratio"], ["svd_refresh", result.SvdRefreshMs, "ms"],
                    ["randomized_refresh", result.RandomizedRefreshMs, "ms"], ["svd_to_randomized", result.SvdToRandomized, "ratio"],
                    ["subspace_agreement", result.SubspaceAgreement, "mean squared cosine"],
                    ["apollo_step", result.ApolloStepMs, "ms"], ["apollo_to_adamw", result.ApolloToAdamW, "ratio"],
                    ["apollo_mini_step", result.ApolloMiniStepMs, "ms"], ["apollo_mini_to_adamw", result.ApolloMiniToAdamW, "ratio"],
                    ["apollo_gaussian_refresh", result.GaussianRefreshMs, "ms"], ["svd_to_gaussian", result.SvdToGaussian, "ratio"],
                    ["threads", result.Threads, "libtorch threads"],
                ]);
            }
            return 0;
        });
        return cmd;
    }

    static string Markdown(KernelBenchmarkResult x, string command)
    {
        var o = x.Options;
        string F(double v) => v.ToString("0.0", CultureInfo.InvariantCulture);
        string R(double v) => v.ToString("0.00", CultureInfo.InvariantCulture);
        string cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?"
            : "?";
        return $"""
            # GaLore kernels on one {o.Rows} × {o.Cols} weight ({(o.BFloat16 ? "bf16" : "fp32")}, rank {o.Rank})

            CPU ({cpu}), {x.Threads} libtorch threads, median of {o.Runs} runs after {o.Warmup} warm-up; all figures from one run.
            Gradient: {x.Gradient}. Regenerate: `{command}`.

            | measure | time (ms) | ratio |
            |---|---:|---:|
            | AdamW step | {F(x.AdamWStepMs)} | 1.00 |
            | GaLore-AdamW step (project, Adam on the r-dim state, `addmm_` back; no refresh) | {F(x.GaLoreAdamWStepMs)} | {R(x.GaLoreToAdamW)} × AdamW |
            | APOLLO step (project, Adam on the r-dim state, channel-wise scale of the full gradient, `addcmul_`; no refresh) | {F(x.ApolloStepMs)} | {R(x.ApolloToAdamW)} × AdamW |
            | APOLLO-Mini step (rank 1, tensor-wise scale; no refresh) | {F(x.ApolloMiniStepMs)} | {R(x.ApolloMiniToAdamW)} × AdamW |
            | 8-bit AdamW step (chunked dequantize, update, requantize) | {F(x.AdamW8bitStepMs)} | {R(x.EightBitTo32Bit)} × AdamW |
            | refresh by full SVD (`linalg.svd`, float32) | {F(x.SvdRefreshMs)} | {R(x.SvdToRandomized)} × randomized |
            | refresh by randomized range finder (p = 8, q = 2) | {F(x.RandomizedRefreshMs)} | 1.00 |
            | APOLLO refresh: Gaussian projector regenerated from its seed (no SVD) | {F(x.GaussianRefreshMs)} | SVD = {R(x.SvdToGaussian)} × this |

            Subspace agreement of the randomized projector with the SVD's: {x.SubspaceAgreement.ToString("0.000", CultureInfo.InvariantCulture)}
            (mean squared cosine of the principal angles; 1 = the same subspace).

            """;
    }
}
