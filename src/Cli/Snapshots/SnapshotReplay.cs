using GaLore.Planner;
using GaLore.Planner.Memory;

namespace GaLore.Cli.Snapshots;

/// <summary>One allocation alive at the measured peak.</summary>
/// <param name="Address">Device address.</param>
/// <param name="RequestedBytes">Bytes asked for.</param>
/// <param name="AllocatedBytes">Bytes as the allocator counts them (<see cref="SnapshotReplay.BlockBytes"/>).</param>
/// <param name="Phase">Phase that allocated it (<see cref="StepPhase.BeforeRecording"/> when its allocation is not in the trace).</param>
/// <param name="Where">Innermost frame outside PyTorch (<see cref="FramePhase.Where"/>).</param>
public sealed record LiveAllocation(long Address, long RequestedBytes, long AllocatedBytes, StepPhase Phase, string Where);

/// <summary>
/// The allocated-memory timeline of one device, replayed from a snapshot's trace: PyTorch's <c>allocated_bytes</c> grows
/// at each <c>alloc</c> and shrinks at each <c>free_requested</c> (c10/cuda/CUDACachingAllocator.cpp: <c>malloc</c> records
/// <c>TraceEntry::ALLOC</c> with the requested size and counts <c>block-&gt;size</c>; <c>free</c> records
/// <c>FREE_REQUESTED</c> and uncounts it at once; <c>FREE_COMPLETED</c> follows when other streams are done with the block).
/// Traces recorded with <c>skip_actions=["free_requested"]</c> are replayed on <c>free_completed</c> instead. Memory
/// allocated before recording started is recovered from the frees of addresses the trace never allocated and from the blocks
/// still active when the snapshot was taken; the reserved timeline likewise from <c>segment_alloc</c>/<c>segment_free</c>
/// (and <c>segment_map</c>/<c>segment_unmap</c> of expandable segments) back from the segments the snapshot holds.
/// </summary>
public sealed class SnapshotReplay
{
    /// <summary>Trace entries replayed.</summary>
    public int Entries { get; private init; }

    /// <summary>Allocations in the trace.</summary>
    public int Allocations { get; private init; }

    /// <summary>Whether any trace entry or block carries a stack (else phases cannot be told).</summary>
    public bool StacksRecorded { get; private init; }

    /// <summary>Allocated bytes when recording started.</summary>
    public long StartAllocatedBytes { get; private init; }

    /// <summary>Largest allocated total (<c>max_memory_allocated</c> over the trace).</summary>
    public long PeakAllocatedBytes { get; private init; }

    /// <summary>Requested bytes alive at that moment (before the allocator's rounding).</summary>
    public long PeakRequestedBytes { get; private init; }

    /// <summary>Index of the trace entry that reached the peak (−1: the start).</summary>
    public int PeakIndex { get; private init; }

    /// <summary>Phase of the allocation that reached the peak.</summary>
    public StepPhase PeakPhase { get; private init; }

    /// <summary>Where that allocation was made.</summary>
    public string PeakWhere { get; private init; } = "";

    /// <summary>Reserved bytes (segments) at the start, at most, and when the snapshot was taken.</summary>
    public long StartReservedBytes { get; private init; }

    /// <inheritdoc cref="StartReservedBytes"/>
    public long PeakReservedBytes { get; private init; }

    /// <inheritdoc cref="StartReservedBytes"/>
    public long EndReservedBytes { get; private init; }

    /// <summary>Every allocation alive at the peak, largest first.</summary>
    public IReadOnlyList<LiveAllocation> AliveAtPeak { get; private init; } = [];

    /// <summary>Largest allocated total reached right after an allocation of each phase (phases that allocated nothing are absent).</summary>
    public IReadOnlyDictionary<StepPhase, long> PhasePeaks { get; private init; } = new Dictionary<StepPhase, long>();

    /// <summary>
    /// Bytes the caching allocator counts for a request: <c>round_size</c> rounds up to a multiple of 512 B (kMinBlockSize),
    /// the planner's <see cref="AllocationRounding.CudaAllocated"/>. A large block that is not split (less than 1 MiB would
    /// remain) counts more, so this is a lower bound of <c>allocated_bytes</c> for such blocks.
    /// </summary>
    public static long BlockBytes(long requested) => Rounding.Apply(requested, AllocationRounding.CudaAllocated);

    /// <summary>Replays device <paramref name="device"/>'s trace.</summary>
    public static SnapshotReplay Of(MemorySnapshot snapshot, int device)
    {
        if (device < 0 || device >= snapshot.DeviceTraces.Count)
            throw new PlannerInputException($"the snapshot has no trace for device {device} (it has {snapshot.DeviceTraces.Count})");
        var trace = snapshot.DeviceTraces[device];
        if (trace.Count == 0)
            throw new PlannerInputException($"the snapshot's trace for device {device} is empty: record it with torch.cuda.memory._record_memory_history() before the step");
        var segments = snapshot.Segments.Where(s => s.Device == device).ToList();
        bool stacks = trace.Any(e => e.Frames.Count > 0) || segments.Any(s => s.Blocks.Any(b => b.Frames.Count > 0));
        string freeAction = trace.Any(e => e.Action == "free_requested") ? "free_requested" : "free_completed";

        // Pass 1: running deltas, the peak, and what was alive before recording.
        var live = new Dictionary<long, int>();               // address -> index of its alloc
        var preFreedAt = new List<(long Address, long Bytes, int FreedAt, StepPhase Phase, string Where)>();
        var phasePeaks = new Dictionary<StepPhase, long>();
        long delta = 0, maxDelta = 0, requestedDelta = 0, reservedDelta = 0, maxReservedDelta = 0;
        int peakIndex = -1, allocations = 0;
        var phaseOf = new StepPhase[trace.Count];
        for (int i = 0; i < trace.Count; i++)
        {
            var e = trace[i];
            switch (e.Action)
            {
                case "alloc":
                    allocations++;
                    live[e.Address] = i;
                    delta += BlockBytes(e.Bytes);
                    requestedDelta += e.Bytes;
                    phaseOf[i] = FramePhase.Classify(e.Frames, stacks);
                    if (delta > maxDelta) (maxDelta, peakIndex) = (delta, i);
                    break;
                case "segment_alloc" or "segment_map":
                    reservedDelta += e.Bytes;
                    maxReservedDelta = Math.Max(maxReservedDelta, reservedDelta);
                    break;
                case "segment_free" or "segment_unmap":
                    reservedDelta -= e.Bytes;
                    break;
                default:
                    if (e.Action != freeAction) break;
                    if (live.Remove(e.Address, out int at)) e = trace[at];
                    else preFreedAt.Add((e.Address, e.Bytes, i, StepPhase.BeforeRecording, FramePhase.Where(e.Frames)));
                    delta -= BlockBytes(e.Bytes);
                    requestedDelta -= e.Bytes;
                    break;
            }
        }
        // Blocks active when the snapshot was taken that the trace never allocated were alive throughout.
        var preAlive = new List<LiveAllocation>();
        foreach (var s in segments)
            foreach (var b in s.Blocks)
                if (b.State == "active_allocated" && !live.ContainsKey(b.Address))
                    preAlive.Add(new LiveAllocation(b.Address, b.RequestedBytes, b.Size, StepPhase.BeforeRecording, FramePhase.Where(b.Frames)));
        long start = preAlive.Sum(a => a.AllocatedBytes) + preFreedAt.Sum(p => BlockBytes(p.Bytes));
        long startRequested = preAlive.Sum(a => a.RequestedBytes) + preFreedAt.Sum(p => p.Bytes);
        long endReserved = segments.Sum(s => s.TotalBytes);

        // Pass 2: the allocations alive at the peak, and the largest total after each phase's allocations.
        var alive = new Dictionary<long, LiveAllocation>();
        List<LiveAllocation>? atPeak = peakIndex < 0 ? [] : null;
        long running = start, runningRequested = startRequested, peakRequested = startRequested;
        for (int i = 0; i < trace.Count; i++)
        {
            var e = trace[i];
            if (e.Action == "alloc")
            {
                running += BlockBytes(e.Bytes);
                runningRequested += e.Bytes;
                phasePeaks[phaseOf[i]] = Math.Max(phasePeaks.GetValueOrDefault(phaseOf[i]), running);
                alive[e.Address] = new LiveAllocation(e.Address, e.Bytes, BlockBytes(e.Bytes), phaseOf[i], FramePhase.Where(e.Frames));
            }
            else if (e.Action == freeAction)
            {
                long size = alive.Remove(e.Address, out var a) ? a.RequestedBytes : e.Bytes;
                running -= BlockBytes(size);
                runningRequested -= size;
            }
            if (i == peakIndex)
            {
                atPeak = [.. alive.Values];
                peakRequested = runningRequested;
            }
        }
        atPeak!.AddRange(preAlive);
        foreach (var p in preFreedAt)
            if (p.FreedAt > peakIndex) atPeak.Add(new LiveAllocation(p.Address, p.Bytes, BlockBytes(p.Bytes), p.Phase, p.Where));
        atPeak.Sort((x, y) => y.AllocatedBytes.CompareTo(x.AllocatedBytes));

        return new SnapshotReplay
        {
            Entries = trace.Count,
            Allocations = allocations,
            StacksRecorded = stacks,
            StartAllocatedBytes = start,
            PeakAllocatedBytes = start + maxDelta,
            PeakRequestedBytes = peakRequested,
            PeakIndex = peakIndex,
            PeakPhase = peakIndex < 0 ? StepPhase.BeforeRecording : phaseOf[peakIndex],
            PeakWhere = peakIndex < 0 ? "" : FramePhase.Where(trace[peakIndex].Frames),
            StartReservedBytes = endReserved - reservedDelta,
            PeakReservedBytes = endReserved - reservedDelta + maxReservedDelta,
            EndReservedBytes = endReserved,
            AliveAtPeak = atPeak,
            PhasePeaks = phasePeaks,
        };
    }
}
