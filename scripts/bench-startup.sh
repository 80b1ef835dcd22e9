#!/usr/bin/env bash
# Measures `galore-plan fit` as a whole process against a .NET hello-world on the same machine.
# Both are framework-dependent Release builds published the same way (ReadyToRun, linux-x64); each runs
# N times (default 30) after 3 warm-ups, interleaved (every round runs each process once, so that a slow
# stretch of a shared host weighs on all of them alike), and the medians are compared.
# Usage: scripts/bench-startup.sh [N] [out.md]
set -euo pipefail
n=${1:-30}
out=${2:-reports/planner/startup.md}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "publishing galore-plan and hello-world (ReadyToRun) ..." >&2
dotnet publish "$root/src/Cli" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$work/galore" -v q >/dev/null
mkdir -p "$work/hello-src"
(cd "$work/hello-src" && dotnet new console --force -o . >/dev/null && \
 dotnet publish -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$work/hello" -v q >/dev/null)

python3 - "$n" "$work" "$root/$out" <<'PY'
import os, statistics, subprocess, sys, time, platform
n, work, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def once(cmd):
    # fit exits 1 when the configuration does not fit (README: exit status); anything else is a failure.
    code = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    if code not in (0, 1): raise SystemExit(f"{cmd} exited {code}")
def timed(cmd):
    t = time.perf_counter(); once(cmd); return (time.perf_counter() - t) * 1000
cases = [("hello-world", [f"{work}/hello/hello-src"]),
         ("galore-plan fit", [f"{work}/galore/galore-plan", "fit"]),
         ("galore-plan fit --json", [f"{work}/galore/galore-plan", "fit", "--json"]),
         ("galore-plan fit (does not fit: suggestions)", [f"{work}/galore/galore-plan", "fit", "--optim", "adamw"]),
         ("galore-plan gpus", [f"{work}/galore/galore-plan", "gpus"])]
for _, cmd in cases:
    for _ in range(3): once(cmd)
times = {name: [] for name, _ in cases}
for _ in range(n):
    for name, cmd in cases: times[name].append(timed(cmd))
rows = [(name, statistics.median(times[name]), min(times[name]), max(times[name])) for name, _ in cases]
hello = rows[0][1]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
lines = ["# Start-up: `galore-plan fit` vs a .NET hello-world", "",
         f"{n} runs each after 3 warm-ups, interleaved, medians; {os.cpu_count()} cores ({cpu}); both published the same way",
         "(framework-dependent, ReadyToRun, linux-x64). Regenerate: `scripts/bench-startup.sh`.", "",
         "| process | median ms | min ms | max ms | × hello-world |", "|---|---:|---:|---:|---:|"]
for name, med, lo, hi in rows:
    lines.append(f"| {name} | {med:.1f} | {lo:.1f} | {hi:.1f} | {med / hello:.2f} |")
os.makedirs(os.path.dirname(out), exist_ok=True)
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
