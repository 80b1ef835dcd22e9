namespace GaLore.Profiler.Measurement;

/// <summary>
/// Measures the highest memory use of a window of work, above a baseline taken before the model exists.
/// Order of calls: <see cref="TakeBaseline"/>, build model and optimizer, warm-up steps,
/// <see cref="StartWindow"/>, measured steps, <see cref="EndWindow"/>.
/// </summary>
public interface IPeakMeter : IDisposable
{
    /// <summary>What is measured, e.g. "cpu (VmHWM − baseline)" or the GPU's name.</summary>
    string Device { get; }

    /// <summary>Records and returns the baseline usage in bytes.</summary>
    long TakeBaseline();

    /// <summary>Starts the window (resets or starts peak tracking).</summary>
    void StartWindow();

    /// <summary>Ends the window and returns its peak usage in bytes (absolute, baseline included).</summary>
    long EndWindow();

    /// <summary>Extra facts to report (sampling counts, driver versions...).</summary>
    IReadOnlyDictionary<string, string> Details { get; }

    /// <summary>Whether memory a throw-away warm-up run leaves cached can be given back before the baseline
    /// (always on CPU; on CUDA only with the allocator-statistics shim, which can empty PyTorch's cache).</summary>
    bool CanReleaseCache => true;

    /// <summary>Gives cached memory back before the baseline (no-op where there is no cache).</summary>
    void ReleaseCache()
    {
    }
}
