using GaLore.Planner.Devices;
using GaLore.Planner.Memory;

namespace GaLore.Planner.Tests;

/// <summary>The CPU device profile rounds each tensor as glibc places libtorch's 64-byte-aligned allocations in the
/// profiler's worker (64 KiB mmap threshold).</summary>
public sealed class HostRoundingTests
{
    [Theory]
    [InlineData(294_912, 299_008)]     // 72 pages exactly: header and alignment slack take a 73rd
    [InlineData(1 << 20, (1 << 20) + 4096)]
    [InlineData(100_000, 102_400)]     // 24.4 pages: 25
    [InlineData(65_432, 69_632)]       // padded past the threshold: mapped, 17 pages
    [InlineData(2048, 2064)]           // heap chunk: request + 8, 16-byte aligned
    [InlineData(4, 16)]
    public void A_cpu_tensor_occupies_its_glibc_chunk(long bytes, long expected) =>
        Assert.Equal(expected, Rounding.Apply(bytes, AllocationRounding.HostMalloc));

    [Fact]
    public void The_cpu_device_rounds_both_views_as_the_host_allocator()
    {
        Assert.Equal(AllocationRounding.HostMalloc, DeviceProfile.Cpu.AllocatedRounding);
        Assert.Equal(AllocationRounding.HostMalloc, DeviceProfile.Cpu.ReservedRounding);
    }
}
