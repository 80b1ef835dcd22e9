#!/usr/bin/env bash
# Runs the CUDA validation on a Linux machine with an NVIDIA GPU and a PyTorch install, with or without .NET.
#   scripts/gpu/run-cuda-validation.sh [OUT_DIR] [MATRIX]     (defaults: $OUT or ./out, cuda)
# 1. .NET: the machine's `dotnet` if it has a 10.x runtime, else .gpu/dotnet-runtime.tar.xz (scripts/gpu/prepare.sh).
# 2. The app: .gpu/app.tar.xz, else a fresh `dotnet publish` (needs the SDK).
# 3. libtorch: $GALORE_LIBTORCH, else the lib folder of the first `python3 -c "import torch"` that works
#    (/opt/torch/.venv first). GALORE_LIBTORCH_ALLOW_MISMATCH=1 lets TorchSharp 0.107 (built for 2.10) try a newer one.
# 4. The caching-allocator statistics shim (scripts/gpu/cudastats.cpp) is compiled against that libtorch when a C++
#    compiler and the headers are there; without it only device-used memory (NVML) is measured.
# 5. `galore-plan doctor --device cuda` probes TorchSharp on the GPU (probe.txt), then `validate --device cuda` runs the
#    matrix into OUT_DIR/validation-cuda (CSV, charts, summary), and a short summary is printed last.
# Set GALORE_GPU_DRY_RUN=cpu to rehearse everything on a CPU machine (device cpu, the smoke matrix), and
# GALORE_USE_CARRIED_RUNTIME=1 to use the packed .NET runtime even where one is installed.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mkdir -p "${1:-${OUT:-out}}" && cd "${1:-${OUT:-out}}" && pwd)
matrix=${2:-cuda}
device=cuda
if [ "${GALORE_GPU_DRY_RUN:-}" = cpu ]; then device=cpu; matrix=${2:-smoke}; fi
work=${GALORE_GPU_WORK:-/tmp/galore-gpu}
mkdir -p "$work"
log() { echo "[run-cuda-validation] $*" | tee -a "$out/run.log" >&2; }

# 1. .NET runtime
if [ -z "${GALORE_USE_CARRIED_RUNTIME:-}" ] && command -v dotnet >/dev/null && dotnet --list-runtimes 2>/dev/null | grep -q 'Microsoft.NETCore.App 10\.'; then
  DOTNET=$(command -v dotnet)
elif [ -f "$root/.gpu/dotnet-runtime.tar.xz" ]; then
  mkdir -p "$work/dotnet" && tar -C "$work/dotnet" -xJf "$root/.gpu/dotnet-runtime.tar.xz"
  DOTNET="$work/dotnet/dotnet"; export DOTNET_ROOT="$work/dotnet"
else
  log "no .NET 10 runtime: run scripts/gpu/prepare.sh on a machine with the SDK and bring .gpu/ along"; exit 2
fi
log "dotnet: $DOTNET ($("$DOTNET" --list-runtimes | grep NETCore | tail -n 1))"

# 2. The app
if [ -f "$root/.gpu/app.tar.xz" ]; then
  rm -rf "$work/app" && mkdir -p "$work/app" && tar -C "$work/app" -xJf "$root/.gpu/app.tar.xz"
else
  "$DOTNET" publish "$root/src/Cli" -c Release -o "$work/app" -v q >/dev/null || { log "publish failed"; exit 2; }
fi
app=(env DOTNET_ROOT="${DOTNET_ROOT:-}" "$DOTNET" "$work/app/galore-plan.dll")

# 3. libtorch
if [ -z "${GALORE_LIBTORCH:-}" ] && [ "$device" = cuda ]; then
  for py in /opt/torch/.venv/bin/python python3; do
    lib=$("$py" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null) && break
  done
  [ -n "${lib:-}" ] && export GALORE_LIBTORCH="$lib"
fi
export GALORE_LIBTORCH_ALLOW_MISMATCH=${GALORE_LIBTORCH_ALLOW_MISMATCH:-1}
log "GALORE_LIBTORCH=${GALORE_LIBTORCH:-<app folder / NuGet cache>}"

# 4. Allocator statistics shim
if [ "$device" = cuda ] && [ -n "${GALORE_LIBTORCH:-}" ] && command -v g++ >/dev/null; then
  inc="$(dirname "$GALORE_LIBTORCH")/include"
  cuda_inc=$(ls -d /usr/local/cuda/include 2>/dev/null | head -n 1)
  if g++ -O2 -shared -fPIC -std=c++17 -I"$inc" -I"$inc/torch/csrc/api/include" ${cuda_inc:+-I"$cuda_inc"} \
       "$root/scripts/gpu/cudastats.cpp" -L"$GALORE_LIBTORCH" -lc10 -lc10_cuda -Wl,-rpath,"$GALORE_LIBTORCH" \
       -o "$work/libgalore_cudastats.so" 2>"$out/cudastats-build.log"; then
    export GALORE_CUDA_STATS_LIB="$work/libgalore_cudastats.so"; log "allocator statistics shim built"
  else
    log "allocator statistics shim did not build (see cudastats-build.log): device-used memory only"
  fi
fi

# 5. Probe, versions, validation
{ command -v nvidia-smi >/dev/null && nvidia-smi; uname -a; "$DOTNET" --list-runtimes; } >"$out/environment.txt" 2>&1
"${app[@]}" doctor --device "$device" >"$out/probe.txt" 2>&1
probe=$?
cat "$out/probe.txt" >&2
if [ $probe -ne 0 ]; then log "PROBE FAILED (exit $probe): TorchSharp does not run on this device with this libtorch; see probe.txt"; exit 1; fi
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1)
case "$gpu" in *H200*) gpu_key=h200 ;; *) gpu_key=h100-80gb ;; esac
"${app[@]}" validate --device "$device" --gpu "$gpu_key" --matrix "$matrix" --out "$out/validation-$device" --resume \
  --noise-repeats 2 --timeout "${GALORE_GPU_TIMEOUT_MIN:-6}" 2>&1 | tee -a "$out/run.log"
status=${PIPESTATUS[0]}
log "done (exit $status); results in $out/validation-$device"
sed -n '/## Result/,/## Method/p' "$out/validation-$device/summary.md" 2>/dev/null | head -n 16
exit $status
