using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using GaLore.Kernels.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Cli.Commands;

/// <summary>
/// <c>galore-plan doctor</c>: loads TorchSharp the way every profiling command does and proves it works on a device —
/// which libtorch was loaded from where (and whether TorchSharp's native library had to be patched), whether CUDA is
/// available, and a matmul, a bf16 matmul and an SVD checked for correctness. The first thing to run on a new machine,
/// and the probe for a "bring your own libtorch" folder (<c>GALORE_LIBTORCH</c>).
/// </summary>
public static class DoctorCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var device = new Option<string>("--device") { Description = "cpu or cuda", DefaultValueFactory = _ => "cpu" };
        var cmd = new Command("doctor", "Check that TorchSharp and libtorch load and compute correctly on this machine (cpu or cuda); " +
                                        "set GALORE_LIBTORCH to a folder of libtorch*.so (e.g. a PyTorch install's torch/lib) to use your own.") { device };
        cmd.SetAction(r =>
        {
            var output = r.InvocationConfiguration.Output;
            string d = Profiling.ProfileOptions.ParseDevice(r.GetValue(device)!);
            try
            {
                TorchNativeLoader.EnsureLoaded();
            }
            catch (TorchNativeLoadException e)
            {
                output.WriteLine(e.Message);
                return 1;
            }
            output.WriteLine(TorchNativeLoader.Describe());
            output.WriteLine($"TorchSharp {typeof(torch).Assembly.GetName().Version}; CUDA available: {cuda.is_available()}; CUDA devices: {cuda.device_count()}");
            if (d.StartsWith("cuda", StringComparison.Ordinal) && !cuda.is_available())
            {
                output.WriteLine("FAILED: CUDA requested but not available (a CPU-only libtorch, or no driver). Set GALORE_LIBTORCH to a CUDA build's lib folder.");
                return 1;
            }
            return Checks(output, torch.device(d)) ? 0 : 1;
        });
        return cmd;
    }

    static bool Checks(TextWriter w, Device dev)
    {
        bool ok = true;
        void Check(string what, Func<double> run, double tolerance)
        {
            var clock = Stopwatch.StartNew();
            double error;
            try
            {
                error = run();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                w.WriteLine($"  {what,-34} FAILED: {e.GetType().Name}: {e.Message}");
                ok = false;
                return;
            }
            bool pass = error <= tolerance;
            ok &= pass;
            w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {what,-34} {(pass ? "ok" : "WRONG")}  relative error {error:0.0e+0}  {clock.Elapsed.TotalMilliseconds,8:0.0} ms"));
        }
        w.WriteLine($"Checks on {dev}:");
        using var scope = NewDisposeScope();
        var gen = new Generator(7, dev);
        var a = randn([512, 512], generator: gen, device: dev);
        var b = randn([512, 512], generator: gen, device: dev);
        var reference = a.to(ScalarType.Float64).matmul(b.to(ScalarType.Float64));
        Check("matmul float32 512³", () => Relative(a.matmul(b), reference), 1e-4);
        Check("matmul bfloat16 512³", () => Relative(a.to(ScalarType.BFloat16).matmul(b.to(ScalarType.BFloat16)), reference), 2e-2);
        Check("linalg.svd float32 512×256", () =>
        {
            var m = a.narrow(1, 0, 256);
            var (u, s, vh) = linalg.svd(m, fullMatrices: false);
            return Relative(u.mul(s.unsqueeze(0)).matmul(vh), m.to(ScalarType.Float64));
        }, 1e-4);
        if (dev.type == DeviceType.CUDA) cuda.synchronize();
        w.WriteLine(ok ? "All checks passed." : "Some checks FAILED.");
        return ok;
    }

    static double Relative(Tensor x, Tensor reference)
    {
        using var scope = NewDisposeScope();
        var diff = x.to(ScalarType.Float64).sub(reference).norm().cpu().item<double>();
        return diff / reference.norm().cpu().item<double>();
    }
}
