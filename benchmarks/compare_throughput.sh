#!/usr/bin/env bash
# NetGen's CPU backend against PyTorch on the same machine, in one run: AlexNet (or minialexnet,
# resnet8, resnet14) at batch 16 and 64 (or the batches given), forward (evaluation) and training
# step, images per second.
#
#   bash benchmarks/compare_throughput.sh [network] [batches...]     (default: alexnet 16 64)
#   bash benchmarks/compare_throughput.sh resnet14 128               (ResNet14's training batch)
#
# Needs Debian's python3-torch and libopenblas0-openmp for the reference (run with 2 threads, as
# NetGen uses the machine's 2 cores). Each side is run twice, alternating, and the better median
# kept: the machines here are shared and noisy. PyTorch runs with --keep-memory (glibc's mallopt
# M_MMAP_MAX=0 and M_TRIM_THRESHOLD=2^31-1, the same as MALLOC_MMAP_MAX_=0
# MALLOC_TRIM_THRESHOLD_=2147483647 in the environment: freed buffers are kept, as NetGen keeps its
# own), its fastest setting here; its default allocator run is printed beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
network=${1:-alexnet}
shift || true
batches=${*:-16 64}
dotnet build Networks -c Release -v quiet -nologo >/dev/null
netgen="dotnet Networks/bin/Release/net10.0/netgen.dll"
torch="/usr/bin/python3 benchmarks/reference/torch_bench.py"

field() { python3 -c "import json,sys; print(json.loads(sys.stdin.read())['$1'])"; }
best() { printf '%s\n%s\n' "$1" "$2" | sort -g | tail -n 1; }

printf '%-12s %5s  %-24s %14s %14s\n' network batch system "forward img/s" "train img/s"
for batch in $batches; do
    n1=$($netgen bench "$network" --batch "$batch" --device cpu --json 2>/dev/null)
    t1=$($torch "$network" --batch "$batch" --keep-memory --json 2>/dev/null)
    n2=$($netgen bench "$network" --batch "$batch" --device cpu --json 2>/dev/null)
    t2=$($torch "$network" --batch "$batch" --keep-memory --json 2>/dev/null)
    td=$($torch "$network" --batch "$batch" --json 2>/dev/null)
    for side in "NetGen cpu|$n1|$n2" "PyTorch 1.13 kept memory|$t1|$t2" "PyTorch 1.13 default|$td|$td"; do
        IFS='|' read -r name a b <<<"$side"
        fwd=$(best "$(echo "$a" | field forward_images_per_second)" "$(echo "$b" | field forward_images_per_second)")
        trn=$(best "$(echo "$a" | field train_images_per_second)" "$(echo "$b" | field train_images_per_second)")
        printf '%-12s %5s  %-24s %14.1f %14.1f\n' "$network" "$batch" "$name" "$fwd" "$trn"
    done
done
