using System.Collections;
using System.IO.Compression;
using GaLore.Planner;

namespace GaLore.Cli.Snapshots;

/// <summary>One stack frame of an allocation (PyTorch's <c>Frame</c>: filename, line, name).</summary>
public sealed record SnapshotFrame(string File, long Line, string Name);

/// <summary>A block of a segment as the snapshot saw it when it was taken (PyTorch's <c>Block</c>).</summary>
/// <param name="Size">Bytes the allocator gave the block (rounded).</param>
/// <param name="RequestedBytes">Bytes the caller asked for (<c>requested_size</c>; the size when absent).</param>
/// <param name="Address">Device address.</param>
/// <param name="State"><c>active_allocated</c>, <c>active_awaiting_free</c> or <c>inactive</c>.</param>
/// <param name="Frames">Where it was allocated (empty when not recorded).</param>
public sealed record SnapshotBlock(long Size, long RequestedBytes, long Address, string State, IReadOnlyList<SnapshotFrame> Frames);

/// <summary>Memory the caching allocator got from one <c>cudaMalloc</c> (PyTorch's <c>Segment</c>).</summary>
public sealed record SnapshotSegment(long Device, long Address, long TotalBytes, long AllocatedBytes, IReadOnlyList<SnapshotBlock> Blocks);

/// <summary>One action the allocator took while history was recorded (PyTorch's <c>TraceEntry</c>).</summary>
/// <param name="Action"><c>alloc</c>, <c>free_requested</c>, <c>free_completed</c>, <c>segment_alloc</c>, <c>segment_free</c>,
/// <c>segment_map</c>, <c>segment_unmap</c>, <c>oom</c>, <c>snapshot</c>, <c>annotate</c>, …</param>
/// <param name="Address">Block or segment address (0 where the action has none).</param>
/// <param name="Bytes">For <c>alloc</c> and frees the size the caller asked for (<c>orig_size</c>, before rounding); for
/// segment actions the segment's size.</param>
/// <param name="Frames">The allocation's stack (empty when not recorded).</param>
public sealed record SnapshotTraceEntry(string Action, long Address, long Bytes, IReadOnlyList<SnapshotFrame> Frames);

/// <summary>
/// A PyTorch CUDA memory snapshot: the dictionary <c>torch.cuda.memory._snapshot()</c> returns and
/// <c>torch.cuda.memory._dump_snapshot(path)</c> pickles — <c>segments</c> (the allocator's state when it was taken) and
/// <c>device_traces</c> (one list of <see cref="SnapshotTraceEntry"/> per device, recorded after
/// <c>torch.cuda.memory._record_memory_history()</c>). Format: the <c>Snapshot</c>, <c>Segment</c>, <c>Block</c>,
/// <c>Frame</c> and <c>TraceEntry</c> typed dictionaries documented in <c>torch/cuda/memory.py</c> (<c>_snapshot</c>).
/// Keys PyTorch adds in other versions are ignored.
/// </summary>
public sealed record MemorySnapshot(IReadOnlyList<SnapshotSegment> Segments, IReadOnlyList<IReadOnlyList<SnapshotTraceEntry>> DeviceTraces)
{
    /// <summary>
    /// Reads a snapshot pickle (plain, or gzip-compressed as <c>.pickle.gz</c>) with Razorvine.Pickle, a complete
    /// implementation of Python's pickle protocols 0–5 (<c>pickle.dump</c>'s default protocol 4 and memo opcodes included),
    /// which unpickles dicts, lists and tuples into <see cref="Hashtable"/>, <see cref="ArrayList"/> and object arrays.
    /// A file that is not a snapshot is a <see cref="PlannerInputException"/> naming the problem.
    /// </summary>
    public static MemorySnapshot Load(string path)
    {
        if (!File.Exists(path)) throw new PlannerInputException($"snapshot '{path}' does not exist");
        object? root;
        try
        {
            using var file = File.OpenRead(path);
            using var input = IsGzip(file) ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
            using var unpickler = new Razorvine.Pickle.Unpickler();
            root = unpickler.load(input);
        }
        // An unpickler fed arbitrary bytes fails in arbitrary ways (Razorvine.Pickle throws index, cast and pickle errors
        // alike); every one of them means the file is not a pickle it can read.
        catch (Exception e) when (e is not (OutOfMemoryException or IOException or UnauthorizedAccessException) || e is EndOfStreamException or InvalidDataException)
        {
            throw new PlannerInputException($"snapshot '{path}' is not a readable pickle: {e.Message}");
        }
        return FromPickle(root, path);
    }

    /// <summary>Builds a snapshot from an unpickled object graph (what <see cref="Load"/> reads).</summary>
    public static MemorySnapshot FromPickle(object? root, string source)
    {
        var doc = PickleGraph.Dict(root, $"snapshot '{source}'");
        var segments = new List<SnapshotSegment>();
        foreach (var s in PickleGraph.List(PickleGraph.Required(doc, "segments", source), "segments"))
        {
            var seg = PickleGraph.Dict(s, "a segment");
            var blocks = new List<SnapshotBlock>();
            if (PickleGraph.Optional(seg, "blocks") is { } bl)
                foreach (var b in PickleGraph.List(bl, "blocks"))
                {
                    var blk = PickleGraph.Dict(b, "a block");
                    long size = PickleGraph.Long(PickleGraph.Required(blk, "size", "a block"), "size");
                    long requested = PickleGraph.Optional(blk, "requested_size") is { } rq ? PickleGraph.Long(rq, "requested_size") : size;
                    blocks.Add(new SnapshotBlock(size, requested, PickleGraph.LongOr(blk, "address", 0),
                        PickleGraph.Optional(blk, "state") as string ?? "active_allocated", Frames(blk)));
                }
            segments.Add(new SnapshotSegment(PickleGraph.LongOr(seg, "device", 0), PickleGraph.LongOr(seg, "address", 0),
                PickleGraph.Long(PickleGraph.Required(seg, "total_size", "a segment"), "total_size"), PickleGraph.LongOr(seg, "allocated_size", 0), blocks));
        }
        var traces = new List<IReadOnlyList<SnapshotTraceEntry>>();
        foreach (var device in PickleGraph.List(PickleGraph.Required(doc, "device_traces", source), "device_traces"))
        {
            var list = new List<SnapshotTraceEntry>();
            foreach (var e in PickleGraph.List(device, "a device trace"))
            {
                var entry = PickleGraph.Dict(e, "a trace entry");
                string action = PickleGraph.Required(entry, "action", "a trace entry") as string
                                ?? throw new PlannerInputException($"snapshot '{source}': a trace entry's action is not a string");
                list.Add(new SnapshotTraceEntry(action, PickleGraph.LongOr(entry, "addr", 0), PickleGraph.LongOr(entry, "size", 0), Frames(entry)));
            }
            traces.Add(list);
        }
        return new MemorySnapshot(segments, traces);
    }

    static IReadOnlyList<SnapshotFrame> Frames(Hashtable owner)
    {
        if (PickleGraph.Optional(owner, "frames") is not { } f) return [];
        var frames = new List<SnapshotFrame>();
        foreach (var x in PickleGraph.List(f, "frames"))
        {
            var d = PickleGraph.Dict(x, "a frame");
            frames.Add(new SnapshotFrame(PickleGraph.Optional(d, "filename") as string ?? "", PickleGraph.LongOr(d, "line", 0),
                PickleGraph.Optional(d, "name") as string ?? ""));
        }
        return frames;
    }

    static bool IsGzip(FileStream file)
    {
        Span<byte> magic = stackalloc byte[2];
        int n = file.Read(magic);
        file.Position = 0;
        return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }
}
