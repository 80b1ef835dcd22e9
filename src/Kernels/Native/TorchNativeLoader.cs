using System.Diagnostics;
using System.Runtime.CompilerServices;
using TorchSharp;

namespace GaLore.Kernels.Native;

/// <summary>
/// Loads libtorch and TorchSharp's native library (libLibTorchSharp.so) in a way that works on
/// Debian 12 / Ubuntu 22.04, whose libstdc++ lacks the GLIBCXX_3.4.32 version that the TorchSharp
/// 0.107 binary declares but does not really use. See src/Kernels/Native/README.md.
/// </summary>
/// <remarks>
/// <para><b>How other code must use it.</b> Call <see cref="EnsureLoaded"/> as the first statement of
/// every public Kernels entry point that may touch TorchSharp (constructors of optimizers/projectors,
/// static factory methods, CLI commands), before any <c>torch.*</c> call or TorchSharp type
/// initialiser runs:</para>
/// <code>
/// public GaLoreAdamW(...)
/// {
///     TorchNativeLoader.EnsureLoaded();   // first: TorchSharp must not load its natives on its own
///     ...
/// }
/// </code>
/// <para>It is idempotent and thread-safe; after the first call it costs one volatile read. If
/// TorchSharp were touched first, it would try to load the unpatched library itself and fail with a
/// TypeInitializationException that cannot be undone.</para>
/// <para>On Linux it: picks a libtorch folder (<c>$GALORE_LIBTORCH</c>, else the app's own folders,
/// else the NuGet cache), loads libc10/libtorch_cpu/libtorch (plus the CUDA ones when present) by full
/// path; reads the version definitions of the libstdc++ the process uses; loads libLibTorchSharp.so
/// unpatched if that libstdc++ has every version it needs, else a private copy with the missing
/// GLIBCXX/CXXABI requirements marked weak (<see cref="ElfVersionNeedPatcher"/>); makes sure
/// TorchSharp's own name-based loads resolve to these same objects; and finally runs TorchSharp's
/// static constructor so any failure surfaces here. On other systems it does nothing.</para>
/// </remarks>
public static class TorchNativeLoader
{
    private sealed record Outcome(string Report, TorchNativeLoadException? Error, string Summary = "TorchSharp native libraries: not loaded");

    private static readonly object Gate = new();
    private static volatile Outcome? outcome;

    /// <summary>True once <see cref="EnsureLoaded"/> has succeeded in this process.</summary>
    public static bool IsLoaded => outcome is { Error: null };

    /// <summary>
    /// Makes TorchSharp usable: loads the native libraries on the first call, returns at once afterwards.
    /// </summary>
    /// <exception cref="TorchNativeLoadException">The libraries could not be loaded; the message lists
    /// every path tried and why it failed. Later calls throw the same error again.</exception>
    public static void EnsureLoaded()
    {
        var result = outcome;
        if (result is null)
        {
            lock (Gate)
            {
                result = outcome ??= Load(Environment.GetEnvironmentVariable);
            }
        }
        if (result.Error is { } error)
            throw new TorchNativeLoadException(error.Message, error.InnerException);
    }

    /// <summary>
    /// What was loaded from where, why, and how long it took — for <c>--verbose</c> or a diagnostics
    /// command. Does not load anything itself.
    /// </summary>
    public static string Describe() =>
        outcome?.Report ?? "TorchSharp native libraries: not loaded yet (TorchNativeLoader.EnsureLoaded() has not been called)";

    /// <summary>
    /// One line naming what this process actually runs on — TorchSharp's version, the libtorch version and where it was
    /// loaded from, whether CUDA is available — for reports that say what a measurement was taken with. Does not load
    /// anything itself.
    /// </summary>
    public static string Summary() => outcome?.Summary ?? "TorchSharp native libraries: not loaded";

    private static string Summarize(TorchLoadSession session)
    {
        string torchSharp = typeof(torch).Assembly.GetName().Version?.ToString(3) ?? "unknown";
        string libtorch = session.LibTorch is { } l ? $"libtorch {l.Version ?? "(version unknown)"} from {l.Origin}" : "libtorch (unknown)";
        return $"TorchSharp {torchSharp} with {libtorch}, CUDA {(torch.cuda.is_available() ? "available" : "not available")}";
    }

    private static Outcome Load(Func<string, string?> env)
    {
        if (!OperatingSystem.IsLinux())
            return new Outcome($"TorchSharp native libraries: left to TorchSharp's own loader on {System.Runtime.InteropServices.RuntimeInformation.OSDescription}", null);

        var clock = Stopwatch.StartNew();
        var session = new TorchLoadSession(name =>
            name == "HOME" ? env(name) ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) : env(name));
        try
        {
            session.Run();
            long nativeMs = clock.ElapsedMilliseconds;
            InitializeTorchSharp(session);
            session.Log.Add($"time: {nativeMs} ms to load the native libraries, {clock.ElapsedMilliseconds} ms including TorchSharp's static initialisation");
            return new Outcome(Report(session, "loaded"), null, Summarize(session));
        }
        catch (TorchNativeLoadException e)
        {
            return new Outcome($"TorchSharp native libraries: FAILED{Environment.NewLine}{e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ElfFormatException)
        {
            var error = new TorchNativeLoadException(
                $"Could not load the native PyTorch libraries for TorchSharp: {e.Message}{Environment.NewLine}"
                + $"Set {LibTorchSearch.EnvironmentVariable} to a folder holding libtorch {LibTorchSearch.LibTorchPackageVersion}.x to use your own.", e);
            return new Outcome(Report(session, "FAILED") + Environment.NewLine + error.Message, error);
        }
    }

    /// <summary>
    /// Runs TorchSharp's <c>torch</c> static constructor now, so that a failure is reported with our
    /// diagnostics instead of as a TypeInitializationException at some later, unrelated call.
    /// </summary>
    private static void InitializeTorchSharp(TorchLoadSession session)
    {
        try
        {
            RuntimeHelpers.RunClassConstructor(typeof(torch).TypeHandle);
            session.Log.Add($"TorchSharp initialised; CUDA available: {torch.cuda.is_available()}");
        }
        catch (TypeInitializationException e)
        {
            var cause = e.InnerException ?? e;
            throw new TorchNativeLoadException(
                $"The native libraries loaded, but TorchSharp failed to initialise: {cause.Message}{Environment.NewLine}"
                + $"Loaded:{Environment.NewLine}{string.Join(Environment.NewLine, session.Log.Select(l => "  " + l))}{Environment.NewLine}"
                + $"If TorchSharp was used before TorchNativeLoader.EnsureLoaded() ran, its failed static initialisation cannot be undone: "
                + $"call EnsureLoaded() before any TorchSharp API.{Environment.NewLine}"
                + $"Set {LibTorchSearch.EnvironmentVariable} to a folder holding libtorch {LibTorchSearch.LibTorchPackageVersion}.x to use your own.", cause);
        }
    }

    private static string Report(TorchLoadSession session, string state) =>
        $"TorchSharp native libraries: {state}{Environment.NewLine}" + string.Join(Environment.NewLine, session.Log.Select(l => "  " + l));
}
