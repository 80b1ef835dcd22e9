using System.Runtime.InteropServices;

namespace GaLore.Profiler.Measurement.Cuda;

/// <summary>NVML return codes (<c>nvmlReturn_t</c>, nvml.h).</summary>
public enum NvmlReturn
{
    Success = 0,
    Uninitialized = 1,
    InvalidArgument = 2,
    NotSupported = 3,
    NoPermission = 4,
    AlreadyInitialized = 5,
    NotFound = 6,
    InsufficientSize = 7,
    DriverNotLoaded = 9,
    Timeout = 10,
    LibraryNotFound = 12,
    FunctionNotFound = 13,
    GpuIsLost = 15,
    ResetRequired = 16,
    LibRmVersionMismatch = 18,
    Memory = 20,
    Unknown = 999,
}

/// <summary>Device memory as NVML reports it (<c>nvmlMemory_t</c>), in bytes, for the whole device (all processes).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct NvmlMemory
{
    public ulong Total;
    public ulong Free;
    public ulong Used;
}

/// <summary>The NVML calls the profiler uses, behind an interface so the logic around them is testable without a GPU.</summary>
public interface INvml
{
    NvmlReturn Init();
    NvmlReturn Shutdown();
    NvmlReturn DeviceCount(out uint count);
    NvmlReturn DeviceHandle(uint index, out IntPtr device);
    NvmlReturn MemoryInfo(IntPtr device, out NvmlMemory memory);
    NvmlReturn DeviceName(IntPtr device, out string name);
    NvmlReturn DriverVersion(out string version);
    string ErrorString(NvmlReturn code);
}

/// <summary>
/// NVML through P/Invoke to <c>libnvidia-ml.so.1</c> (installed with the NVIDIA driver, not with CUDA). A missing
/// library or symbol becomes <see cref="NvmlReturn.LibraryNotFound"/> / <see cref="NvmlReturn.FunctionNotFound"/>.
/// </summary>
public sealed partial class NvmlLibrary : INvml
{
    const string Lib = "libnvidia-ml.so.1";
    const int NameBuffer = 96;      // NVML_DEVICE_NAME_V2_BUFFER_SIZE
    const int VersionBuffer = 80;   // NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE

    [LibraryImport(Lib, EntryPoint = "nvmlInit_v2")] private static partial int NvmlInit();
    [LibraryImport(Lib, EntryPoint = "nvmlShutdown")] private static partial int NvmlShutdown();
    [LibraryImport(Lib, EntryPoint = "nvmlDeviceGetCount_v2")] private static partial int NvmlDeviceGetCount(out uint count);
    [LibraryImport(Lib, EntryPoint = "nvmlDeviceGetHandleByIndex_v2")] private static partial int NvmlDeviceGetHandleByIndex(uint index, out IntPtr device);
    [LibraryImport(Lib, EntryPoint = "nvmlDeviceGetMemoryInfo")] private static partial int NvmlDeviceGetMemoryInfo(IntPtr device, out NvmlMemory memory);
    [LibraryImport(Lib, EntryPoint = "nvmlDeviceGetName")] private static unsafe partial int NvmlDeviceGetName(IntPtr device, byte* name, uint length);
    [LibraryImport(Lib, EntryPoint = "nvmlSystemGetDriverVersion")] private static unsafe partial int NvmlSystemGetDriverVersion(byte* version, uint length);
    [LibraryImport(Lib, EntryPoint = "nvmlErrorString")] private static partial IntPtr NvmlErrorString(int result);

    public NvmlReturn Init() => Call(NvmlInit);
    public NvmlReturn Shutdown() => Call(NvmlShutdown);

    public NvmlReturn DeviceCount(out uint count)
    {
        uint c = 0;
        var r = Call(() => NvmlDeviceGetCount(out c));
        count = c;
        return r;
    }

    public NvmlReturn DeviceHandle(uint index, out IntPtr device)
    {
        IntPtr d = IntPtr.Zero;
        var r = Call(() => NvmlDeviceGetHandleByIndex(index, out d));
        device = d;
        return r;
    }

    public NvmlReturn MemoryInfo(IntPtr device, out NvmlMemory memory)
    {
        NvmlMemory m = default;
        var r = Call(() => NvmlDeviceGetMemoryInfo(device, out m));
        memory = m;
        return r;
    }

    public unsafe NvmlReturn DeviceName(IntPtr device, out string name)
    {
        string s = "";
        var r = Call(() =>
        {
            byte* buffer = stackalloc byte[NameBuffer];
            int code = NvmlDeviceGetName(device, buffer, NameBuffer);
            s = Marshal.PtrToStringUTF8((IntPtr)buffer) ?? "";
            return code;
        });
        name = s;
        return r;
    }

    public unsafe NvmlReturn DriverVersion(out string version)
    {
        string s = "";
        var r = Call(() =>
        {
            byte* buffer = stackalloc byte[VersionBuffer];
            int code = NvmlSystemGetDriverVersion(buffer, VersionBuffer);
            s = Marshal.PtrToStringUTF8((IntPtr)buffer) ?? "";
            return code;
        });
        version = s;
        return r;
    }

    public string ErrorString(NvmlReturn code)
    {
        try
        {
            return Marshal.PtrToStringUTF8(NvmlErrorString((int)code)) ?? code.ToString();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return code.ToString();
        }
    }

    static NvmlReturn Call(Func<int> f)
    {
        try
        {
            return (NvmlReturn)f();
        }
        catch (DllNotFoundException)
        {
            return NvmlReturn.LibraryNotFound;
        }
        catch (EntryPointNotFoundException)
        {
            return NvmlReturn.FunctionNotFound;
        }
    }
}
