#!/usr/bin/env python3
"""Writes a small synthetic PyTorch CUDA memory snapshot for the compare-snapshot tests.

The file follows the format torch.cuda.memory._snapshot() documents (torch/cuda/memory.py: Snapshot, Segment, Block,
Frame, TraceEntry) and is pickled as torch.cuda.memory._dump_snapshot() pickles it (pickle.dump of the dict, the default
protocol). Nothing here needs torch. The numbers are chosen so the expected replay can be worked out by hand; the test
(tests/Cli.Tests/Snapshots/SnapshotReplayTests.cs) states them.

    python3 scripts/gpu/make_snapshot_fixture.py tests/Cli.Tests/Snapshots/fixture-step.pickle

Timeline (requested bytes; the allocator counts each rounded up to 512 B):
  before recording: weights W1 (4 MiB, still active at the end), W2 (1000 B, freed during the trace)
  model build     : W3 = 2 MiB (allocated with a from_config frame)
  forward         : A1 = 3 MiB, A2 = 1 MiB + 100 B, then A2 is freed
  backward        : G1 = 2 MiB (no Python stack: autograd's device thread), A1 freed, W2 freed
  optimizer step  : S1 = 5 MiB (torch/optim/adamw.py), T1 = 700 B temporary freed; G1 freed
"""
import pickle
import sys

MiB = 1 << 20
SEG = 0x7F0000000000


def frame(filename, line, name):
    return {"filename": filename, "line": line, "name": name}


FORWARD = [frame("/usr/lib/python3/site-packages/torch/nn/functional.py", 2100, "linear"),
           frame("/opt/venv/lib/python3.12/site-packages/transformers/models/llama/modeling_llama.py", 180, "forward"),
           frame("/opt/venv/lib/python3.12/site-packages/torch/nn/modules/module.py", 1750, "_call_impl"),
           frame("scripts/gpu/hf_reference.py", 400, "train_step")]
OPTIM = [frame("/opt/venv/lib/python3.12/site-packages/torch/optim/adamw.py", 150, "_init_group"),
         frame("/opt/venv/lib/python3.12/site-packages/torch/optim/adamw.py", 210, "step"),
         frame("scripts/gpu/hf_reference.py", 410, "train_step")]
BUILD = [frame("/opt/venv/lib/python3.12/site-packages/torch/nn/modules/module.py", 1300, "_apply"),
         frame("/opt/venv/lib/python3.12/site-packages/transformers/modeling_utils.py", 1500, "from_config"),
         frame("scripts/gpu/hf_reference.py", 300, "build_model")]

W1, W2, W3 = SEG, SEG + 4 * MiB, SEG + 5 * MiB
A1, A2, G1, S1, T1 = SEG + 8 * MiB, SEG + 12 * MiB, SEG + 14 * MiB, SEG + 20 * MiB, SEG + 26 * MiB


def entry(action, addr, size, frames=()):
    return {"action": action, "addr": addr, "size": size, "stream": 0, "frames": list(frames)}


def free(addr, size, frames=()):
    return [entry("free_requested", addr, size, frames), entry("free_completed", addr, size, frames)]


trace = [
    entry("segment_alloc", SEG + 5 * MiB, 20 * MiB),           # reserved grows by a 20 MiB segment
    entry("alloc", W3, 2 * MiB, BUILD),
    entry("alloc", A1, 3 * MiB, FORWARD),
    entry("alloc", A2, MiB + 100, FORWARD),
    *free(A2, MiB + 100, FORWARD),
    entry("alloc", G1, 2 * MiB),                                 # backward: no Python frames
    *free(A1, 3 * MiB),
    *free(W2, 1000),                                            # allocated before recording started
    entry("segment_alloc", SEG + 25 * MiB, 2 * MiB),
    entry("alloc", S1, 5 * MiB, OPTIM),
    entry("alloc", T1, 700, OPTIM),
    *free(T1, 700, OPTIM),
    *free(G1, 2 * MiB),
    entry("segment_free", SEG + 25 * MiB, 2 * MiB),
]

segments = [
    {"device": 0, "address": SEG, "total_size": 5 * MiB, "stream": 0, "segment_type": "large", "segment_pool_id": (0, 0),
     "allocated_size": 4 * MiB, "active_size": 4 * MiB,
     "blocks": [{"size": 4 * MiB, "requested_size": 4 * MiB, "address": W1, "state": "active_allocated", "frames": []},
                {"size": MiB, "requested_size": 0, "address": W2, "state": "inactive", "frames": []}]},
    {"device": 0, "address": SEG + 5 * MiB, "total_size": 20 * MiB, "stream": 0, "segment_type": "large", "segment_pool_id": (0, 0),
     "allocated_size": 7 * MiB, "active_size": 7 * MiB,
     "blocks": [{"size": 2 * MiB, "requested_size": 2 * MiB, "address": W3, "state": "active_allocated", "frames": BUILD},
                {"size": 13 * MiB, "requested_size": 0, "address": SEG + 7 * MiB, "state": "inactive", "frames": []},
                {"size": 5 * MiB, "requested_size": 5 * MiB, "address": S1, "state": "active_allocated", "frames": OPTIM}]},
]

snapshot = {"segments": segments, "device_traces": [trace], "allocator_settings": {"expandable_segments": False}}

if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "fixture-step.pickle"
    with open(out, "wb") as f:
        pickle.dump(snapshot, f)
    print(f"wrote {out}: {len(trace)} trace entries, {len(segments)} segments")
