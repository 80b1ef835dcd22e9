using TorchSharp;

namespace GaLore.Profiler.Measurement.Cuda;

/// <summary>
/// Makes a CUDA device look smaller: occupies all free memory but <c>cap</c> bytes with one uint8 tensor, before the
/// baseline, so a run that needs more than the cap fails with an out-of-memory error (PyTorch's caching allocator
/// cannot use the occupied blocks). This tests the planner's fit/no-fit verdict at chosen capacities on one GPU.
/// </summary>
public static class MemoryCap
{
    /// <summary>Occupies the memory; dispose the result to free it.</summary>
    public static IDisposable Apply(ProfileRequest request, long capBytes, IPeakMeter meter)
    {
        if (!request.IsCuda || meter is not CudaPeakMeter cuda)
            throw new ArgumentException("a memory cap needs a CUDA device");
        if (capBytes <= 0) throw new ArgumentException("the memory cap must be positive");
        long occupy = cuda.FreeBytes() - capBytes;
        if (occupy <= 0) return new Blocker(null);
        var blocker = torch.empty([occupy], torch.ScalarType.Byte, torch.device(request.Device));
        torch.cuda.synchronize();
        return new Blocker(blocker);
    }

    sealed class Blocker(torch.Tensor? tensor) : IDisposable
    {
        public void Dispose() => tensor?.Dispose();
    }
}
