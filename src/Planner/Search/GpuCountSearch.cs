using GaLore.Planner.Fit;
using GaLore.Planner.Memory;
using GaLore.Planner.Parallel;

namespace GaLore.Planner.Search;

/// <summary>
/// The fewest GPUs on which a query fits (<c>--gpus auto</c>), its strategy, offload, batch and sequence fixed. A strategy
/// that replicates (DDP) needs the same memory on every GPU whatever N is, so only its smallest N is tried. A sharding
/// strategy's per-GPU peak does not rise with N — shards are ⌈n/N⌉ elements, while what is gathered, bucketed or activated
/// does not depend on N (FSDP2's dim-0 padding adds at most N − 1 rows to a gathered unit, far less than the shards lose) — so
/// the GPU counts that fit are N*, N* + 1, …: probing N = min, 2·min, 4·min, … up to <see cref="GpuLimit"/> and bisecting
/// finds N* in O(log N*) compiled steps, the same answer as trying every N in turn (tests compare the two).
/// </summary>
public static class GpuCountSearch
{
    /// <summary>Most GPUs searched.</summary>
    public const int GpuLimit = 1024;

    /// <summary>The fewest GPUs a strategy runs on: 1 without an engine or with offload (ZeRO-Offload, FSDP2 CPU offload run
    /// on one GPU), otherwise 2.</summary>
    public static int MinGpus(Parallelism p) =>
        p.Strategy is SingleDevice || (p.Strategy.Shards && p.Offload != OffloadMode.None) ? 1 : 2;

    /// <summary>The query on <paramref name="gpus"/> GPUs.</summary>
    public static FitQuery WithGpus(this FitQuery query, int gpus) =>
        query with { Step = query.Step with { Parallel = query.Step.Parallel.WithGpus(gpus) } };

    /// <summary>Whether the query fits on <paramref name="gpus"/> GPUs (the device-used peak of the reserved program alone).</summary>
    public static bool Fits(FitQuery query, int gpus)
    {
        var q = query.WithGpus(gpus);
        var device = q.Device;
        long used = StepCompiler.Compile(q.Step, device.ReservedRounding, device.Kind).PeakBytes((long)q.Batch * q.Seq, q.Seq)
                    + device.CublasWorkspaceBytes + device.ContextBytes;
        return used <= q.UsableBytes;
    }

    /// <summary>The fewest GPUs in [<see cref="MinGpus"/>, <paramref name="limit"/>] on which the query fits; null when none does.</summary>
    public static int? Fewest(FitQuery query, int limit = GpuLimit)
    {
        var p = query.Step.Parallel;
        int min = MinGpus(p);
        if (p.Strategy is SingleDevice) return Fits(query, 1) ? 1 : null;
        if (!p.Strategy.Shards || limit <= min) return Fits(query, min) ? min : null;
        if (Fits(query, min)) return min;
        int lo = min, hi = Math.Min(2 * min, limit);   // lo does not fit
        while (!Fits(query, hi))
        {
            if (hi == limit) return null;
            lo = hi;
            hi = Math.Min(2 * hi, limit);
        }
        while (hi - lo > 1)
        {
            int mid = lo + (hi - lo) / 2;
            if (Fits(query, mid)) hi = mid; else lo = mid;
        }
        return hi;
    }
}
