#!/usr/bin/env bash
# The SHA-256 of `netgen step` on fixed weights and a fixed batch, for AlexNet and MiniAlexNet, on
# the CPU backend, on the ILGPU kernels (ILGPU's CPU accelerator, or --device given as $2) and
# split over two devices: run it before and after a change that must not change a number, and
# compare the two lists. Usage: benchmarks/reference/step_fingerprint.sh OUTDIR [kernel-device]
set -euo pipefail
out=$(realpath -m "${1:?usage: step_fingerprint.sh OUTDIR [kernel-device]}")
kernels=${2:-ilgpu-cpu}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mkdir -p "$out"
dotnet build "$root/Networks" -c Release -v quiet -nologo >/dev/null
netgen() { dotnet "$root/Networks/bin/Release/net10.0/netgen.dll" "$@" >/dev/null; }
cd "$out"
[ -f alexnet.in.safetensors ] || python3 "$here/make_step_input.py" alexnet.in.safetensors 2 3 227 227 1000 1
[ -f mini.in.safetensors ] || python3 "$here/make_step_input.py" mini.in.safetensors 4 1 28 28 10 2
[ -f alexnet.w.safetensors ] || netgen init alexnet --seed 7 --out alexnet.w.safetensors --device cpu
[ -f mini.w.safetensors ] || netgen init minialexnet --seed 7 --out mini.w.safetensors --device cpu
for net in alexnet mini; do
    name=$net; [ "$net" = mini ] && name=minialexnet
    for device in cpu "$kernels"; do
        netgen step $name --weights $net.w.safetensors --input $net.in.safetensors --out $net.$device.safetensors --device $device --activations
    done
    netgen step $name --weights $net.w.safetensors --input $net.in.safetensors --out $net.cpu-2-devices.safetensors --device cpu --devices 2
done
sha256sum alexnet.cpu.safetensors alexnet.$kernels.safetensors alexnet.cpu-2-devices.safetensors \
    mini.cpu.safetensors mini.$kernels.safetensors mini.cpu-2-devices.safetensors
