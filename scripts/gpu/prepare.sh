#!/usr/bin/env bash
# Packs what a bare GPU machine (no .NET, no NuGet, no network) needs for scripts/gpu/run-cuda-validation.sh into .gpu/
# (git-ignored), and measures what a device call would carry:
#   .gpu/dotnet-runtime.tar.xz   the .NET runtime this machine has (host + Microsoft.NETCore.App), ≈ 26 MB
#   .gpu/app.tar.xz              a framework-dependent Release publish of galore-plan without libtorch's CPU natives
#                                (the GPU machine's own libtorch is used through GALORE_LIBTORCH)
#   .gpu/hf-plan.json            the reference rows with the planner's predictions (scripts/gpu/hf_reference.py plan),
#   .gpu/hf-plan-rehearsal.json  and the small rows of the CPU rehearsal, both from the app just published
#   .gpu/galore-src/             galore-torch's public source (a checkout of jiaweizzhao/GaLore; pure Python, never
#                                committed): bring it yourself, e.g. copy the galore_torch folder of a clone there
# Then: the device tool's run(command="scripts/gpu/run-cuda-validation.sh $OUT", carry=[".gpu"], timeout_s=600).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/.gpu"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

[ -f "$out/galore-src/galore_torch/galore_projector.py" ] || {
  echo "missing $out/galore-src/galore_torch: put galore-torch's source there (jiaweizzhao/GaLore, folder galore_torch)" >&2; exit 2; }

dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
runtime=$(ls -d "$dotnet_root"/shared/Microsoft.NETCore.App/10.* | sort -V | tail -n 1)
echo "runtime: $runtime" >&2
tar -C "$dotnet_root" -cJf "$out/dotnet-runtime.tar.xz" dotnet host "shared/Microsoft.NETCore.App/$(basename "$runtime")"

echo "publishing galore-plan ..." >&2
dotnet publish "$root/src/Cli" -c Release -o "$work/app" -v q >/dev/null
# libtorch comes from the GPU machine; keep TorchSharp's own native library (it is patched at run time if needed).
find "$work/app" -name 'libtorch*.so*' -delete -o -name 'libc10*.so*' -delete -o -name 'libgomp*.so*' -delete \
  -o -name 'libshm.so' -delete -o -name 'libbackend_with_compiler.so' -delete -o -name 'libjitbackend_test.so' -delete \
  -o -name 'libnnapi_backend.so' -delete -o -name 'libaoti_custom_ops.so' -delete
# Only linux-x64 natives of the plotting stack are needed.
find "$work/app/runtimes" -mindepth 1 -maxdepth 1 -type d ! -name 'linux-x64' -exec rm -rf {} +
tar -C "$work/app" -cJf "$out/app.tar.xz" .

# The reference rows' predictions, from the app that travels.
py=$(command -v python3)
planner="dotnet $work/app/galore-plan.dll"
(cd "$root" && "$py" scripts/gpu/hf_reference.py plan --planner "$planner" --matrix reference --out "$out/hf-plan.json")
(cd "$root" && "$py" scripts/gpu/hf_reference.py plan --planner "$planner" --matrix rehearsal --out "$out/hf-plan-rehearsal.json")

du -h "$out"/*.tar.xz "$out"/*.json >&2
# What a device call carries: tracked files, untracked files git does not ignore, and the carried .gpu folder (64 MiB at most).
tree_bytes=$(cd "$root" && { git ls-files -z; git ls-files -z --others --exclude-standard; } | xargs -0 stat -c %s 2>/dev/null | awk '{s+=$1} END {print s+0}')
gpu_bytes=$(du -sb "$out" | cut -f1)
total=$((tree_bytes + gpu_bytes))
echo "carried: working tree $((tree_bytes >> 10)) KiB + .gpu $((gpu_bytes >> 10)) KiB = $((total >> 20)) MiB of 64 MiB" >&2
[ "$total" -le $((64 << 20)) ] || { echo "over the 64 MiB a device call carries" >&2; exit 1; }
