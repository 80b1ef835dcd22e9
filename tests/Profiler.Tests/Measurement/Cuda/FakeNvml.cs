using GaLore.Profiler.Measurement.Cuda;

namespace GaLore.Profiler.Tests.Measurement.Cuda;

/// <summary>Scriptable NVML: return codes per call, a queue of used-memory readings.</summary>
sealed class FakeNvml : INvml
{
    public NvmlReturn InitCode = NvmlReturn.Success;
    public NvmlReturn MemoryCode = NvmlReturn.Success;
    public uint Count = 2;
    public Func<long> Used = () => 1000;
    public int Inits, Shutdowns;

    public NvmlReturn Init() { Inits++; return InitCode; }
    public NvmlReturn Shutdown() { Shutdowns++; return NvmlReturn.Success; }
    public NvmlReturn DeviceCount(out uint count) { count = Count; return NvmlReturn.Success; }

    public NvmlReturn DeviceHandle(uint index, out IntPtr device)
    {
        device = (IntPtr)(100 + index);
        return NvmlReturn.Success;
    }

    public NvmlReturn MemoryInfo(IntPtr device, out NvmlMemory memory)
    {
        long used = Used();
        memory = new NvmlMemory { Total = 80UL << 30, Used = (ulong)used, Free = (80UL << 30) - (ulong)used };
        return MemoryCode;
    }

    public NvmlReturn DeviceName(IntPtr device, out string name)
    {
        name = $"Fake H100 #{device - 100}";
        return NvmlReturn.Success;
    }

    public NvmlReturn DriverVersion(out string version)
    {
        version = "580.1";
        return NvmlReturn.Success;
    }

    public string ErrorString(NvmlReturn code) => $"fake error {(int)code}";
}

/// <summary>Scriptable CUDA runtime.</summary>
sealed class FakeCudart(long free, long total, int code = 0) : ICudaRuntime
{
    public int Device = -1;
    public int SetDevice(int device) { Device = device; return 0; }

    public int MemGetInfo(out long f, out long t)
    {
        (f, t) = (free, total);
        return code;
    }

    public string ErrorString(int c) => c == 100 ? "no CUDA-capable device is detected" : $"error {c}";
}
