using System.Runtime.InteropServices;

namespace GaLore.Profiler.Measurement.Cuda;

/// <summary>The CUDA runtime calls the profiler uses (device-wide free/total memory).</summary>
public interface ICudaRuntime
{
    /// <summary><c>cudaSetDevice</c>; returns the cudaError_t code.</summary>
    int SetDevice(int device);

    /// <summary><c>cudaMemGetInfo</c> on the current device, in bytes; returns the cudaError_t code.</summary>
    int MemGetInfo(out long free, out long total);

    /// <summary><c>cudaGetErrorString</c>.</summary>
    string ErrorString(int code);
}

/// <summary>
/// <c>libcudart.so</c> loaded from a path found by <see cref="CudaRuntimeLocator"/> (the runtime's file name carries
/// its major version, so it cannot be a fixed <c>DllImport</c>); functions bound with <see cref="NativeLibrary"/>.
/// </summary>
public sealed class CudaRuntimeLibrary : ICudaRuntime
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate int SetDeviceFn(int device);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate int MemGetInfoFn(out nuint free, out nuint total);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate IntPtr ErrorStringFn(int code);

    readonly SetDeviceFn setDevice;
    readonly MemGetInfoFn memGetInfo;
    readonly ErrorStringFn errorString;

    CudaRuntimeLibrary(string path, IntPtr handle)
    {
        Path = path;
        setDevice = Bind<SetDeviceFn>(handle, "cudaSetDevice");
        memGetInfo = Bind<MemGetInfoFn>(handle, "cudaMemGetInfo");
        errorString = Bind<ErrorStringFn>(handle, "cudaGetErrorString");
    }

    /// <summary>The file loaded.</summary>
    public string Path { get; }

    /// <summary>Loads the first candidate that loads and exports the functions; throws <see cref="GpuMeasurementException"/>
    /// listing what was tried.</summary>
    public static CudaRuntimeLibrary Load(IReadOnlyList<CudaRuntimeCandidate> candidates)
    {
        var tried = new List<string>();
        foreach (var c in candidates)
        {
            if (!NativeLibrary.TryLoad(c.Path, out var handle))
            {
                tried.Add($"{c.Path} ({c.Source}): does not load");
                continue;
            }
            try
            {
                return new CudaRuntimeLibrary(c.Path, handle);
            }
            catch (EntryPointNotFoundException e)
            {
                tried.Add($"{c.Path} ({c.Source}): {e.Message}");
            }
        }
        throw new GpuMeasurementException(tried.Count == 0
            ? "no CUDA runtime (libcudart.so*) was found: looked in the libraries already loaded, GALORE_LIBTORCH, the libtorch folder, " +
              "Python's nvidia/*/lib wheels, LD_LIBRARY_PATH, ldconfig's cache and /usr/local/cuda"
            : "no CUDA runtime could be loaded: " + string.Join("; ", tried));
    }

    public int SetDevice(int device) => setDevice(device);

    public int MemGetInfo(out long free, out long total)
    {
        int code = memGetInfo(out nuint f, out nuint t);
        free = checked((long)f);
        total = checked((long)t);
        return code;
    }

    public string ErrorString(int code) => Marshal.PtrToStringUTF8(errorString(code)) ?? $"cudaError {code}";

    static T Bind<T>(IntPtr handle, string name) where T : Delegate =>
        NativeLibrary.TryGetExport(handle, name, out var address)
            ? Marshal.GetDelegateForFunctionPointer<T>(address)
            : throw new EntryPointNotFoundException($"{name} is not exported");
}
