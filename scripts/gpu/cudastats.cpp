// A tiny C ABI over PyTorch's CUDA caching allocator statistics, which TorchSharp 0.107 does not expose.
// Built on the GPU machine against that machine's libtorch headers (scripts/gpu/run-cuda-validation.sh) and
// loaded by the profiler through GALORE_CUDA_STATS_LIB (src/Profiler/Measurement/Cuda/AllocatorStats.cs).
// Statistic index 0 is StatType::AGGREGATE (c10/core/CachingDeviceAllocator.h).
#include <c10/cuda/CUDACachingAllocator.h>
#include <cstdint>

extern "C" {

// out[0..3] = allocated current, allocated peak, reserved current, reserved peak (bytes). Returns 0 on success.
int galore_cuda_memory_stats(int device, int64_t* out) {
  try {
    auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(device));
    out[0] = stats.allocated_bytes[0].current;
    out[1] = stats.allocated_bytes[0].peak;
    out[2] = stats.reserved_bytes[0].current;
    out[3] = stats.reserved_bytes[0].peak;
    return 0;
  } catch (...) {
    return 1;
  }
}

// Resets the peaks to the current values (torch.cuda.reset_peak_memory_stats).
int galore_cuda_reset_peaks(int device) {
  try {
    c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(device));
    return 0;
  } catch (...) {
    return 1;
  }
}

// Returns cached, unused blocks to the driver (torch.cuda.empty_cache).
int galore_cuda_empty_cache() {
  try {
    c10::cuda::CUDACachingAllocator::emptyCache();
    return 0;
  } catch (...) {
    return 1;
  }
}

}  // extern "C"
