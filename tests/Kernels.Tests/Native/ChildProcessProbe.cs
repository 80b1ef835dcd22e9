using GaLore.Kernels.Native;
using TorchSharp;

#pragma warning disable CA1050 // a .NET startup hook must be a global-namespace type named StartupHook

/// <summary>
/// Lets a test run the loader in a fresh child process with its own environment: the test starts
/// <c>dotnet GaLore.Kernels.Tests.dll</c> (whose generated Main does nothing) with
/// <c>DOTNET_STARTUP_HOOKS</c> pointing at this assembly and <c>GALORE_TEST_CHILD=loader</c>. The
/// runtime calls <see cref="Initialize"/> before Main; without that variable it does nothing.
/// Exit codes: 0 loaded and computed, 3 <see cref="TorchNativeLoadException"/>, 4 other failure.
/// <c>GALORE_TEST_CHILD=eightbit-transient</c> runs <see cref="GaLore.Kernels.Tests.Kernels.EightBitTransientProbe"/> instead.
/// </summary>
internal static class StartupHook
{
    public static void Initialize()
    {
        if (Environment.GetEnvironmentVariable("GALORE_TEST_CHILD") == GaLore.Kernels.Tests.Kernels.EightBitTransientProbe.Mode)
            Environment.Exit(GaLore.Kernels.Tests.Kernels.EightBitTransientProbe.Run());
        if (Environment.GetEnvironmentVariable("GALORE_TEST_CHILD") != "loader") return;
        try
        {
            TorchNativeLoader.EnsureLoaded();
            Console.WriteLine(TorchNativeLoader.Describe());
            using var a = torch.randn(32, 32);
            var (u, s, vh) = torch.linalg.svd(a, fullMatrices: false);
            var error = (u.matmul(torch.diag(s)).matmul(vh) - a).abs().max().item<float>();
            var mapped = ProcessMaps.MappedFiles().Count(p => Path.GetFileName(p) == "libtorch_cpu.so");
            Console.WriteLine($"child-check svd-error={error} libtorch_cpu-mapped={mapped}");
            Environment.Exit(error < 1e-4f && mapped == 1 ? 0 : 4);
        }
        catch (TorchNativeLoadException e)
        {
            Console.WriteLine(e.Message);
            Environment.Exit(3);
        }
        catch (Exception e)
        {
            Console.WriteLine(e);
            Environment.Exit(4);
        }
    }
}
