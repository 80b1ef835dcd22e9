#!/usr/bin/env bash
# Packs what a bare GPU machine (no .NET, no NuGet) needs to run the CUDA validation into .gpu/ (git-ignored):
#   .gpu/dotnet-runtime.tar.xz  the .NET runtime this machine has (host + Microsoft.NETCore.App), ≈ 25 MB
#   .gpu/app.tar.xz             a framework-dependent Release publish of galore-plan without libtorch's CPU natives
#                               (the GPU machine's own libtorch is used through GALORE_LIBTORCH)
# Then run scripts/gpu/run-cuda-validation.sh there (the device tool: carry [".gpu"]).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/.gpu"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

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
du -h "$out"/*.tar.xz >&2
