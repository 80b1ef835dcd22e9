namespace GaLore.Profiler.Measurement.Cuda;

/// <summary>
/// Samples a memory reading on a background thread every <c>interval</c> and keeps the highest value — NVML
/// exposes device-used memory but no peak, so the peak of a window is the highest sample (a spike shorter than
/// the interval can be missed; the caching allocator keeps freed blocks reserved, so such spikes are rare).
/// </summary>
public sealed class MemoryPoller : IDisposable
{
    readonly Func<long> read;
    readonly TimeSpan interval;
    readonly ManualResetEventSlim stop = new(false);
    Thread? thread;
    long max = long.MinValue;
    long samples;
    Exception? failure;

    public MemoryPoller(Func<long> read, TimeSpan interval)
    {
        if (interval < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(interval));
        this.read = read;
        this.interval = interval;
    }

    /// <summary>Highest sample so far (long.MinValue before the first).</summary>
    public long Max => Interlocked.Read(ref max);

    /// <summary>Samples taken.</summary>
    public long Samples => Interlocked.Read(ref samples);

    /// <summary>Takes one sample now and starts the background sampling.</summary>
    public void Start()
    {
        if (thread is not null) throw new InvalidOperationException("already started");
        Sample();
        thread = new Thread(Loop) { IsBackground = true, Name = "gpu-memory-poller" };
        thread.Start();
    }

    /// <summary>Stops sampling, takes a last sample and returns the peak. Rethrows a reading failure.</summary>
    public long Stop()
    {
        if (thread is null) throw new InvalidOperationException("not started");
        stop.Set();
        thread.Join();
        thread = null;
        if (failure is not null) throw new GpuMeasurementException($"reading GPU memory failed during the window: {failure.Message}");
        Sample();
        return Max;
    }

    void Loop()
    {
        try
        {
            while (!stop.Wait(interval)) Sample();
        }
        catch (Exception e)
        {
            failure = e;
        }
    }

    void Sample()
    {
        long value = read();
        Interlocked.Increment(ref samples);
        long seen;
        do
        {
            seen = Interlocked.Read(ref max);
            if (value <= seen) return;
        } while (Interlocked.CompareExchange(ref max, value, seen) != seen);
    }

    public void Dispose()
    {
        if (thread is not null)
        {
            stop.Set();
            thread.Join();
            thread = null;
        }
        stop.Dispose();
    }
}
