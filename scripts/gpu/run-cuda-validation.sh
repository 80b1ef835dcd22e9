#!/usr/bin/env bash
# The whole CUDA validation in one call on a GPU machine with PyTorch (no .NET needed), within a time budget:
#   scripts/gpu/run-cuda-validation.sh [OUT_DIR]          (default: $OUT or ./out)
# Carry .gpu/ (scripts/gpu/prepare.sh builds it): the .NET runtime, the published app, galore-torch's source, the plans.
#
#  1. environment.txt: GPU, driver, CUDA, python and library versions; the .NET runtime and app unpack in the background.
#  2. The reference stack (scripts/gpu/hf_reference.py with the machine's PyTorch; needs nothing built): an SVD probe (the
#     GaLore refresh cost per shape, and what galore-torch's projector keeps), then the rows of .gpu/hf-plan.json, one
#     worker process per group, each row appended to reference.csv as it finishes; rows that would overrun the budget are
#     deferred (a second call resumes them). One row records a PyTorch memory snapshot (snapshot-llama-1b.pickle.gz).
#  3. This project's kernels: the allocator-statistics shim (scripts/gpu/cudastats.cpp) is compiled against the machine's
#     libtorch, `galore-plan doctor --device cuda` probes TorchSharp 0.107 against it (probe.txt), and only if that passes
#     `galore-plan validate --matrix cuda-session --resume` runs until the budget ends (rows saved as they finish).
#  4. `galore-plan compare-snapshot` reads the snapshot beside the planner's prediction (compare-snapshot.txt).
#  5. $OUT gets at most 8 files, none deeper than $OUT/: summary.txt, reference.csv, validation.csv, the snapshot,
#     environment.txt, run.log and details.tar.gz (everything else); the summary is printed last.
#
# State lives in $GALORE_GPU_WORK (default /tmp/galore-gpu/state) and is seeded from .gpu/resume/ (the CSVs of an earlier
# call, copied there from its $OUT), so a second call on a warm or a fresh machine resumes.
# GALORE_GPU_BUDGET_S (default 540) bounds the whole call; GALORE_GPU_REFERENCE_S (default 60 % of it) the reference rows;
# GALORE_GPU_ONLY=TEXT runs only the reference rows whose key contains TEXT (a second call for a deferred row).
# GALORE_GPU_DRY_RUN=cpu rehearses every step on a CPU machine: device cpu, the plan .gpu/hf-plan-rehearsal.json, the smoke
# matrix, the fixture snapshot.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mkdir -p "${1:-${OUT:-out}}" && cd "${1:-${OUT:-out}}" && pwd)
t_start=$(date +%s)
budget=${GALORE_GPU_BUDGET_S:-540}
device=cuda; matrix=cuda-session; plan="$root/.gpu/hf-plan.json"
if [ "${GALORE_GPU_DRY_RUN:-}" = cpu ]; then device=cpu; matrix=smoke; plan="$root/.gpu/hf-plan-rehearsal.json"; fi
reference_s=${GALORE_GPU_REFERENCE_S:-$((budget * 60 / 100))}
work=${GALORE_GPU_WORK:-/tmp/galore-gpu}
state="$work/state"
mkdir -p "$state/reference" "$state/validation-$device" "$state/logs"
log() { echo "[run-cuda-validation +$(( $(date +%s) - t_start ))s] $*" | tee -a "$state/logs/run.log" >&2; }
left() { echo $(( budget - ($(date +%s) - t_start) )); }

publish() {   # copy what exists so far into $OUT (≤ 8 files, flat)
  cp -f "$state/reference/reference.csv" "$out/" 2>/dev/null
  cp -f "$state/validation-$device/validation.csv" "$out/" 2>/dev/null
  cp -f "$state/reference/"snapshot-*.pickle.gz "$out/" 2>/dev/null
  cp -f "$state/logs/environment.txt" "$state/logs/run.log" "$out/" 2>/dev/null
  tar -C "$state" -czf "$out/details.tar.gz" --exclude='snapshot-*.pickle.gz' logs reference "validation-$device" 2>/dev/null
}
trap 'log "stopped by a signal"; publish; exit 124' TERM INT

# Resume from the CSVs of an earlier call.
for f in reference.csv svd-probe.json; do
  [ -f "$root/.gpu/resume/$f" ] && [ ! -f "$state/reference/$f" ] && cp "$root/.gpu/resume/$f" "$state/reference/" && log "resuming from .gpu/resume/$f"
done
[ -f "$root/.gpu/resume/validation.csv" ] && [ ! -f "$state/validation-$device/validation.csv" ] \
  && cp "$root/.gpu/resume/validation.csv" "$state/validation-$device/" && log "resuming from .gpu/resume/validation.csv"

# Python with torch: the machine's venv first.
py=""
for c in ${GALORE_PYTHON:-} /opt/torch/.venv/bin/python3 python3 /usr/bin/python3; do
  if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import torch' 2>/dev/null; then py=$(command -v "$c"); break; fi
done
[ -z "$py" ] && { log "no python with torch found"; publish; exit 2; }

# 1. Environment, and the .NET runtime and app unpacked in the background.
{
  echo "date: $(date -u +%FT%TZ)"; echo "run on: $device"; uname -a
  command -v nvidia-smi >/dev/null && nvidia-smi && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  "$py" -c 'import sys, torch; print("python", sys.version.split()[0], sys.executable); print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available()); print("device", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu", torch.cuda.get_device_properties(0).total_memory if torch.cuda.is_available() else "")'
  "$py" -m pip list 2>/dev/null | grep -iE '^(torch|transformers|peft|accelerate|bitsandbytes|nvidia-ml-py|tensorly|safetensors) '
  echo "galore-src: $(ls "$root/.gpu/galore-src/galore_torch" 2>/dev/null | tr '\n' ' ')"
} >"$state/logs/environment.txt" 2>&1
(
  set -e
  if [ -z "${GALORE_USE_CARRIED_RUNTIME:-}" ] && command -v dotnet >/dev/null && dotnet --list-runtimes 2>/dev/null | grep -q 'Microsoft.NETCore.App 10\.'; then
    echo "$(command -v dotnet)" >"$work/dotnet.path"
  else
    rm -rf "$work/dotnet" && mkdir -p "$work/dotnet" && tar -C "$work/dotnet" -xJf "$root/.gpu/dotnet-runtime.tar.xz"
    echo "$work/dotnet/dotnet" >"$work/dotnet.path"
  fi
  rm -rf "$work/app" && mkdir -p "$work/app" && tar -C "$work/app" -xJf "$root/.gpu/app.tar.xz"
) >"$state/logs/unpack.log" 2>&1 &
unpack_pid=$!
log "device $device, budget ${budget}s (reference rows ${reference_s}s), python $py"

# 2. Reference stack.
ref_py=(env PYTHONUNBUFFERED=1 "$py" "$root/scripts/gpu/hf_reference.py")
if [ ! -f "$plan" ]; then
  log "no $plan: run scripts/gpu/prepare.sh first; reference rows skipped"
else
  if [ ! -f "$state/reference/svd-probe.json" ]; then
    timeout 90 "${ref_py[@]}" probe --plan "$plan" --out "$state/reference" --device "$device" --galore-src "$root/.gpu/galore-src" \
      >>"$state/logs/reference.log" 2>&1 || log "svd probe failed (see logs/reference.log); estimates use the cubic guess"
  fi
  ref_budget=$(( reference_s - ($(date +%s) - t_start) ))
  log "reference rows: ${ref_budget}s"
  timeout $(( ref_budget + 30 )) "${ref_py[@]}" run --plan "$plan" --out "$state/reference" --device "$device" \
    --galore-src "$root/.gpu/galore-src" --budget-s "$ref_budget" ${GALORE_GPU_ONLY:+--only "$GALORE_GPU_ONLY"} 2>&1 | tee -a "$state/logs/reference.log" | grep -E '^\[hf_reference\]' >&2
  publish
fi

# 3. This project's kernels.
wait "$unpack_pid" || { log "unpacking .NET or the app failed (logs/unpack.log)"; }
DOTNET=$(cat "$work/dotnet.path" 2>/dev/null)
[ -n "$DOTNET" ] && [ "$DOTNET" = "$work/dotnet/dotnet" ] && export DOTNET_ROOT="$work/dotnet"
app=(env DOTNET_ROOT="${DOTNET_ROOT:-}" "${DOTNET:-dotnet}" "$work/app/galore-plan.dll")
probe=1
if [ -n "$DOTNET" ] && [ -f "$work/app/galore-plan.dll" ]; then
  if [ -z "${GALORE_LIBTORCH:-}" ] && [ "$device" = cuda ]; then
    GALORE_LIBTORCH=$("$py" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))') && export GALORE_LIBTORCH
  fi
  export GALORE_LIBTORCH_ALLOW_MISMATCH=${GALORE_LIBTORCH_ALLOW_MISMATCH:-1}
  if [ "$device" = cuda ] && [ -n "${GALORE_LIBTORCH:-}" ] && command -v g++ >/dev/null; then
    inc="$(dirname "$GALORE_LIBTORCH")/include"
    cuda_inc=$(ls -d /usr/local/cuda/include 2>/dev/null | head -n 1)
    if g++ -O2 -shared -fPIC -std=c++17 -I"$inc" -I"$inc/torch/csrc/api/include" ${cuda_inc:+-I"$cuda_inc"} \
         "$root/scripts/gpu/cudastats.cpp" -L"$GALORE_LIBTORCH" -lc10 -lc10_cuda -Wl,-rpath,"$GALORE_LIBTORCH" \
         -o "$work/libgalore_cudastats.so" 2>"$state/logs/cudastats-build.log"; then
      export GALORE_CUDA_STATS_LIB="$work/libgalore_cudastats.so"; log "allocator statistics shim built"
    else
      log "allocator statistics shim did not build (logs/cudastats-build.log): device-used memory only"
    fi
  fi
  log "GALORE_LIBTORCH=${GALORE_LIBTORCH:-<app folder>}; probing TorchSharp"
  timeout 120 "${app[@]}" doctor --device "$device" >"$state/logs/probe.txt" 2>&1
  probe=$?
  if [ $probe -ne 0 ]; then
    log "PROBE FAILED (exit $probe): TorchSharp 0.107 does not run here with this libtorch (logs/probe.txt); project rows skipped"
    grep -m 3 -E 'undefined symbol|error|Error' "$state/logs/probe.txt" | sed 's/^/  /' >&2
  else
    remaining=$(( $(left) - 45 ))
    if [ "$remaining" -gt 60 ]; then
      log "validate --matrix $matrix for ${remaining}s"
      timeout "$remaining" "${app[@]}" validate --device "$device" --gpu h200 --matrix "$matrix" --out "$state/validation-$device" \
        --resume --noise-repeats 0 --timeout "${GALORE_GPU_TIMEOUT_MIN:-4}" >>"$state/logs/validate.log" 2>&1
      log "validate ended (exit $?)"
    else
      log "no time left for this project's rows (${remaining}s)"
    fi
  fi
  # 4. The snapshot beside the planner's prediction for its row.
  snap=$(ls "$state/reference/"snapshot-*.pickle.gz 2>/dev/null | head -n 1)
  if [ -z "$snap" ] && [ "$device" = cpu ]; then snap="$root/tests/Cli.Tests/Snapshots/fixture-step.pickle"; fi
  if [ -n "$snap" ]; then
    "${app[@]}" compare-snapshot "$snap" --model llama-1b --optim adamw --dtype bf16 --batch 2 --seq 512 --gpu h200 \
      >"$state/logs/compare-snapshot.txt" 2>&1 || log "compare-snapshot failed (logs/compare-snapshot.txt)"
  fi
else
  log "no .NET runtime or app (run scripts/gpu/prepare.sh and carry .gpu): project rows skipped"
fi

# 5. Results and the summary, printed last.
{
  echo "CUDA validation, $(date -u +%FT%TZ), device $device, $(( $(date +%s) - t_start ))s of ${budget}s"
  grep -m 1 -E 'NVIDIA|cpu' "$state/logs/environment.txt" | head -n 1
  grep -E '^torch|^device' "$state/logs/environment.txt"
  [ -f "$state/reference/reference.csv" ] && "$py" "$root/scripts/gpu/hf_reference.py" summary --out "$state/reference"
  echo
  echo "This project's kernels: probe $([ $probe -eq 0 ] && echo passed || echo "failed or not run ($probe)")"
  [ -f "$state/validation-$device/summary.md" ] && sed -n '/## Result/,/## Method/p' "$state/validation-$device/summary.md" | head -n 30
  [ -f "$state/logs/compare-snapshot.txt" ] && { echo; sed -n '1,12p' "$state/logs/compare-snapshot.txt"; }
} >"$state/logs/summary.txt" 2>&1
cp -f "$state/logs/summary.txt" "$out/summary.txt"
publish
cat "$out/summary.txt"
