#!/usr/bin/env bash
# End-to-end check of `netgen step` against the PyTorch reference, for one network.
#
#   benchmarks/reference/compare_step.sh <alexnet|minialexnet> [path/to/netgen]
#
# Builds nothing. Without a netgen path (or $NETGEN) it uses `dotnet run -c Release --project Networks --`.
# Environment: BATCH (2), SEED (1, weights), INPUT_SEED (2), SCALE (128), TOL (1e-3),
#   DIR (work folder; a new temporary one by default), PYTHON (/usr/bin/python3: needs numpy and torch),
#   NETGEN_STEP_ARGS (extra arguments for `netgen step`, e.g. "--device cuda").
# Exit status: that of `torch_step.py compare` (0 pass, 1 fail), or the first command that failed.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
net=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

if [ $# -eq 2 ]; then
    netgen=("$2")
elif [ -n "${NETGEN:-}" ]; then
    read -r -a netgen <<< "$NETGEN"
else
    netgen=(dotnet run -c Release --project "$root/Networks" --)
fi
py=${PYTHON:-/usr/bin/python3}
batch=${BATCH:-2}
seed=${SEED:-1}
input_seed=${INPUT_SEED:-2}
scale=${SCALE:-128}
tol=${TOL:-1e-3}
dir=${DIR:-$(mktemp -d "${TMPDIR:-/tmp}/netgen-step-$net.XXXXXX")}
mkdir -p "$dir"
read -r -a step_args <<< "${NETGEN_STEP_ARGS:-}"

run() { echo "+ $*" >&2; "$@"; }

run "${netgen[@]}" init "$net" --seed "$seed" --out "$dir/W.safetensors"
run "$py" "$here/torch_step.py" input --network "$net" --batch "$batch" --seed "$input_seed" \
    --scale "$scale" --out "$dir/X.safetensors"
run "${netgen[@]}" step "$net" --weights "$dir/W.safetensors" --input "$dir/X.safetensors" \
    --out "$dir/O.safetensors" --no-dropout ${step_args[@]+"${step_args[@]}"}
status=0
run "$py" "$here/torch_step.py" compare --network "$net" --weights "$dir/W.safetensors" \
    --input "$dir/X.safetensors" --netgen "$dir/O.safetensors" --tolerance "$tol" || status=$?
echo "files in $dir" >&2
exit "$status"
