#!/usr/bin/env bash
# End-to-end check of `netgen step` against the PyTorch reference, for one network.
#
#   benchmarks/reference/compare_step.sh <alexnet|minialexnet|resnet8|resnet14> [path/to/netgen]
#
# Builds nothing. Without a netgen path (or $NETGEN) it uses `dotnet run -c Release --project Networks --`.
# Environment: MODE (train or eval: alexnet and minialexnet eval only, `netgen step --no-dropout`;
#   resnet8 and resnet14 train by default, MODE=eval runs `netgen step --eval` on weights whose running statistics
#   `torch_step.py perturb-stats` has replaced first), BATCH (2), SEED (1, weights), INPUT_SEED (2),
#   STATS_SEED (3), SCALE (128; the resnets 1), TOL (1e-3), DIR (work folder; a new temporary one by default),
#   PYTHON (/usr/bin/python3: needs numpy and torch), NETGEN_STEP_ARGS (more for `netgen step`, e.g. "--device cuda"),
#   TIE_TOL (1e-5: max-pool near ties within this fraction of the pool input's max go netgen's way; alexnet, minialexnet).
# Exit status: that of `torch_step.py compare` (0 pass, 1 fail), or the first command that failed.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
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
case $net in
    alexnet|minialexnet) mode=${MODE:-eval}; default_scale=128 ;;
    resnet8|resnet14) mode=${MODE:-train}; default_scale=1 ;;  # BatchNorm: images of unit scale, as a trained network sees
    *) echo "compare_step.sh: unknown network '$net' (alexnet, minialexnet, resnet8, resnet14)" >&2; exit 2 ;;
esac
batch=${BATCH:-2}
seed=${SEED:-1}
input_seed=${INPUT_SEED:-2}
stats_seed=${STATS_SEED:-3}
scale=${SCALE:-$default_scale}
tol=${TOL:-1e-3}
tie_tol=${TIE_TOL:-1e-5}

# What `netgen step` is told, and whether the running statistics are replaced first.
case "$net:$mode" in
    # no BatchNorm: eval is dropout off. --activations: the max pools' inputs, by which compare settles
    # near ties as netgen did (torch_step.py NearTieRoutes); the activations themselves are not compared.
    alexnet:eval|minialexnet:eval) mode_args=(--no-dropout --activations); perturb=0 ;;
    resnet8:eval|resnet14:eval) mode_args=(--eval); perturb=1 ;;
    resnet8:train|resnet14:train) mode_args=(); perturb=0 ;;
    *:train) echo "compare_step.sh: $net has no MODE=train here: its dropout is netgen's own draw (MODE=eval)" >&2; exit 2 ;;
    *) echo "compare_step.sh: MODE is train or eval, not '$mode'" >&2; exit 2 ;;
esac
dir=${DIR:-$(mktemp -d "${TMPDIR:-/tmp}/netgen-step-$net.XXXXXX")}
mkdir -p "$dir"
read -r -a step_args <<< "${NETGEN_STEP_ARGS:-}"

run() { echo "+ $*" >&2; "$@"; }

run "${netgen[@]}" init "$net" --seed "$seed" --out "$dir/W.safetensors"
weights=$dir/W.safetensors
if [ "$perturb" = 1 ]; then
    # evaluation mode with running statistics that are not the initial ones (mean 0, variance 1)
    run "$py" "$here/torch_step.py" perturb-stats --weights "$weights" --seed "$stats_seed" --out "$dir/W-stats.safetensors"
    weights=$dir/W-stats.safetensors
fi
run "$py" "$here/torch_step.py" input --network "$net" --batch "$batch" --seed "$input_seed" \
    --scale "$scale" --out "$dir/X.safetensors"
run "${netgen[@]}" step "$net" --weights "$weights" --input "$dir/X.safetensors" \
    --out "$dir/O.safetensors" ${mode_args[@]+"${mode_args[@]}"} ${step_args[@]+"${step_args[@]}"}
status=0
run "$py" "$here/torch_step.py" compare --network "$net" --mode "$mode" --weights "$weights" \
    --input "$dir/X.safetensors" --netgen "$dir/O.safetensors" --tolerance "$tol" --tie-tolerance "$tie_tol" || status=$?
echo "files in $dir" >&2
exit "$status"
