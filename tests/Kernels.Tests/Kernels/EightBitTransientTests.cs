using System.Diagnostics;
using System.Globalization;
using GaLore.Kernels.Native;
using GaLore.Kernels.Optimizers;
using GaLore.Planner.Memory;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Runtime;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace GaLore.Kernels.Tests.Kernels;

/// <summary>
/// The 8-bit AdamW update's transient memory, measured: one step of <see cref="AdamW8bit"/> /
/// <see cref="GaLoreAdamW8bit"/> on an 8 M-element weight runs in a fresh child process (see <see cref="StartupHook"/>)
/// whose glibc maps every block of 64 KiB or more separately and unmaps it on free (the profiler's worker
/// environment), so resident memory follows the live tensors. Measured = VmHWM during the step − VmRSS before it, with
/// weight, gradient, states and projector already created by two earlier steps; it must match the planner's
/// <c>torchsharp</c> <see cref="RuntimeProfile.UpdateTransientBytes"/> (built on
/// <see cref="KernelBudget.QuantChunkTransientBytes"/>) within 5 %.
/// </summary>
[Collection("torch")]
public sealed class EightBitTransientTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("fp32", 0)]     // DirectSink, float32 weight: 12 B per chunk element
    [InlineData("bf16", 0)]     // DirectSink, bf16 weight: the chunk's update is cast to bf16 (+2 B)
    [InlineData("fp32", 512)]   // GaLore (left, R = 512 × 4096: two chunks): R and the collected N besides the chunk
    [InlineData("bf16", 512)]
    public void One_update_measures_as_the_planner_budgets(string precision, int rank)
    {
        const long rows = 2048, cols = 4096;
        var setup = OptimizerSetup.FromName(rank > 0 ? "galore_adamw_8bit" : "adamw_8bit");
        var shape = new UpdateShape(rows, cols, true, rank > 0 ? ProjectionGeometry.For(rows, cols, rank, ProjectionType.Std) : null,
            setup, Precision.Parse(precision));
        long predicted = RuntimeProfile.TorchSharpKernels.UpdateTransientBytes(shape);

        var (code, text) = EightBitTransientProbe.RunChild($"{precision} {rows} {cols} {rank}");
        Assert.True(code == 0, $"exit {code}:\n{text}");
        long measured = EightBitTransientProbe.Read(text, "transient");
        long growth = EightBitTransientProbe.Read(text, "growth");
        double error = (double)(measured - predicted) / predicted;
        string line = $"{precision} rank {rank}: measured {measured / 1048576.0:0.00} MiB, planner {predicted / 1048576.0:0.00} MiB ({error:+0.0%;-0.0%})";
        output.WriteLine(line);
        Assert.True(Math.Abs(error) <= 0.05, $"{line}\n{text}");
        // One-sided: a busy machine may reclaim file-backed pages (libtorch's code) during the step, so RSS can shrink.
        Assert.True(growth < 1 << 20, $"resident memory grew by {growth} B over the step (a leaked chunk?)\n{text}");
    }
}

/// <summary>The child side of <see cref="EightBitTransientTests"/>: <c>GALORE_TEST_CHILD=eightbit-transient</c>,
/// arguments in <c>GALORE_TEST_ARGS</c> ("precision rows cols rank"; rank 0: no GaLore).</summary>
internal static class EightBitTransientProbe
{
    public const string Mode = "eightbit-transient";

    public static (int ExitCode, string Output) RunChild(string arguments)
    {
        var testAssembly = typeof(EightBitTransientProbe).Assembly.Location;
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host
                   : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath!
                   : "dotnet";
        var psi = new ProcessStartInfo(dotnet, ["exec", testAssembly])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(testAssembly)!,
        };
        psi.Environment["DOTNET_STARTUP_HOOKS"] = testAssembly;
        psi.Environment["GALORE_TEST_CHILD"] = Mode;
        psi.Environment["GALORE_TEST_ARGS"] = arguments;
        // As the profiler's WorkerEnvironment: blocks of ≥ 64 KiB are mapped and unmapped with their tensors.
        psi.Environment["MALLOC_MMAP_THRESHOLD_"] = "65536";
        psi.Environment["MALLOC_TRIM_THRESHOLD_"] = "0";
        // Without tiering no method is recompiled in the background: with it, the tier-1 JIT of the kernel's methods
        // (30 calls in, i.e. a few chunks into a later step) added 2–4 MiB of resident memory inside the measured step.
        psi.Environment["DOTNET_TieredCompilation"] = "0";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(300)))
        {
            process.Kill(entireProcessTree: true);
            return (-1, "child process timed out");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>A "name=bytes" figure from the child's output.</summary>
    public static long Read(string output, string name)
    {
        foreach (var line in output.Split('\n'))
            if (line.StartsWith(name + "=", StringComparison.Ordinal))
                return long.Parse(line[(name.Length + 1)..].Trim(), CultureInfo.InvariantCulture);
        throw new InvalidOperationException($"no {name}= line in:\n{output}");
    }

    /// <summary>Builds the weight and its optimizer, runs two steps (states, projector, runtime pools), then measures a third.</summary>
    public static int Run()
    {
        var a = (Environment.GetEnvironmentVariable("GALORE_TEST_ARGS") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var dtype = a[0] == "bf16" ? ScalarType.BFloat16 : ScalarType.Float32;
        long rows = long.Parse(a[1], CultureInfo.InvariantCulture), cols = long.Parse(a[2], CultureInfo.InvariantCulture);
        int rank = int.Parse(a[3], CultureInfo.InvariantCulture);
        TorchNativeLoader.EnsureLoaded();
        torch.set_num_threads(1);
        using var g = new Generator(7);
        using var init = randn([rows, cols], generator: g);
        using var gradient = randn([rows, cols], generator: g);
        var weight = new Parameter(init.to(dtype), requires_grad: true);
        weight.grad = gradient.mul_(0.01).to(dtype);
        using ProjectedOptimizer optimizer = rank > 0
            ? new GaLoreAdamW8bit([], [weight], new GaLoreSettings(rank, UpdateProjGap: 1000, 0.25, ProjectionType.Std))
            : new AdamW8bit([weight]);
        for (int k = 0; k < 2; k++)
            using (optimizer.step()) { }
        Collect();
        long baseline = Status("VmRSS");
        File.WriteAllText("/proc/self/clear_refs", "5");
        using (optimizer.step()) { }
        long peak = Status("VmHWM");
        Collect();
        long after = Status("VmRSS");
        Console.WriteLine($"baseline={baseline}");
        Console.WriteLine($"transient={peak - baseline}");
        Console.WriteLine($"growth={after - baseline}");
        return 0;
    }

    static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    /// <summary>A "Field:  1234 kB" line of /proc/self/status, in bytes.</summary>
    static long Status(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        throw new InvalidOperationException($"/proc/self/status has no {field}");
    }
}
