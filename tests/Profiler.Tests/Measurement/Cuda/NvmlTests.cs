using GaLore.Profiler.Measurement.Cuda;

namespace GaLore.Profiler.Tests.Measurement.Cuda;

public sealed class NvmlTests
{
    [Fact]
    public void Opens_a_device_and_reads_used_bytes()
    {
        var nvml = new FakeNvml { Used = () => 12345 };
        using (var session = NvmlSession.Open(nvml, 1))
        {
            Assert.Equal("Fake H100 #1", session.Name);
            Assert.Equal("580.1", session.DriverVersion);
            Assert.Equal(12345, session.UsedBytes());
            Assert.Equal(80UL << 30, session.Memory().Total);
        }
        Assert.Equal((1, 1), (nvml.Inits, nvml.Shutdowns));
    }

    [Fact]
    public void A_missing_driver_says_so()
    {
        var e = Assert.Throws<GpuMeasurementException>(() => NvmlSession.Open(new FakeNvml { InitCode = NvmlReturn.LibraryNotFound }, 0));
        Assert.Contains("libnvidia-ml.so.1", e.Message);
        Assert.Contains("no NVIDIA driver", e.Message);
        var unloaded = Assert.Throws<GpuMeasurementException>(() => NvmlSession.Open(new FakeNvml { InitCode = NvmlReturn.DriverNotLoaded }, 0));
        Assert.Contains("kernel driver is not loaded", unloaded.Message);
    }

    [Fact]
    public void A_missing_index_names_the_valid_ones_and_shuts_nvml_down()
    {
        var nvml = new FakeNvml { Count = 2 };
        var e = Assert.Throws<GpuMeasurementException>(() => NvmlSession.Open(nvml, 5));
        Assert.Equal("GPU index 5 does not exist: NVML sees 2 GPU(s), indices 0–1", e.Message);
        Assert.Equal(1, nvml.Shutdowns);
        Assert.Contains("no GPU", Assert.Throws<GpuMeasurementException>(() => NvmlSession.Open(new FakeNvml { Count = 0 }, 0)).Message);
    }

    [Fact]
    public void Other_errors_carry_nvmls_own_text()
    {
        using var session = NvmlSession.Open(new FakeNvml { MemoryCode = NvmlReturn.Unknown }, 0);
        var e = Assert.Throws<GpuMeasurementException>(() => session.UsedBytes());
        Assert.Equal("nvmlDeviceGetMemoryInfo failed: fake error 999 (NVML code 999)", e.Message);
    }

    [Fact]
    public void On_this_machine_the_real_library_reports_its_absence()
    {
        // The development machine has no NVIDIA driver: the P/Invoke layer must turn that into a code, not a crash.
        if (File.Exists("/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1") || Directory.Exists("/proc/driver/nvidia")) return;
        var real = new NvmlLibrary();
        Assert.Equal(NvmlReturn.LibraryNotFound, real.Init());
        var e = Assert.Throws<GpuMeasurementException>(() => NvmlSession.Open(real, 0));
        Assert.Contains("libnvidia-ml.so.1", e.Message);
    }

    [Theory]
    [InlineData("cuda", null, 0, 0u)]
    [InlineData("cuda:1", null, 1, 1u)]
    [InlineData("cuda:1", "2,3", 1, 3u)]
    [InlineData("CUDA:0", " 5 , 1 ", 0, 5u)]
    public void Cuda_ordinals_map_to_nvml_indices(string device, string? visible, int ordinal, uint nvmlIndex)
    {
        Assert.Equal(ordinal, CudaDeviceIndex.CudaOrdinal(device));
        Assert.Equal(nvmlIndex, CudaDeviceIndex.NvmlIndex(ordinal, visible));
    }

    [Fact]
    public void Bad_device_strings_and_visibility_are_explained()
    {
        Assert.Throws<ArgumentException>(() => CudaDeviceIndex.CudaOrdinal("cpu"));
        Assert.Throws<ArgumentException>(() => CudaDeviceIndex.CudaOrdinal("cuda:x"));
        Assert.Contains("exposes 1 GPU", Assert.Throws<GpuMeasurementException>(() => CudaDeviceIndex.NvmlIndex(1, "0")).Message);
        Assert.Contains("UUID", Assert.Throws<GpuMeasurementException>(() => CudaDeviceIndex.NvmlIndex(0, "GPU-1234abcd")).Message);
    }
}
