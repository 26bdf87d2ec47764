#!/usr/bin/env bash
# NetGen on an NVIDIA GPU in one command: AlexNet's and MiniAlexNet's throughput, one training step
# on the GPU checked against the CPU backend, and PyTorch with cuDNN on the same GPU as the anchor.
#
#   benchmarks/gpu/run.sh            publish (where dotnet is), then run
#   benchmarks/gpu/run.sh publish    with the .NET SDK: netgen as one self-contained linux-x64 file,
#                                    compressed, checked to be under 64 MiB -> artifacts/gpu/netgen
#   benchmarks/gpu/run.sh run        on the GPU machine (no .NET needed): the benchmarks and the report
#   benchmarks/gpu/run.sh --dry      (or `dry`) publish, then the same run with the CPU in place of
#                                    CUDA, small batches, on a machine without a GPU; `run --dry` skips
#                                    the publish
#
# Writes report.md and report.json, with logs/ (each phase's output) and raw/ (the JSON each printed),
# into $OUT if set, else artifacts/gpu/report/. Exit status 0 when every phase passed, 1 when one
# failed (each is named as it fails and in the report; the report is written regardless), 2 on a
# wrong command line. Without a PyTorch that sees the GPU the anchor is left out, and the report
# says so.
#
# The run: `netgen bench alexnet --device cuda --batch 128 --json` and the same for minialexnet;
# `netgen step alexnet --activations` at batch 8 (evaluation mode: no dropout) on the GPU and on the
# CPU backend from the same `netgen init` weights and batch, compared tensor by tensor
# (compare_steps.py: the largest normwise relative difference, tolerance 1e-3, looser for the
# gradients below a ReLU or max pool that decided the other way at a near tie); torch_bench.py with
# --device cuda in FP32 and in TF32 for both networks at the same batches. On a machine whose driver
# gives only libcuda.so.1, a link libcuda.so -> it in a private folder on LD_LIBRARY_PATH lets ILGPU
# load it by the name it asks for.
#
# Environment: OUT (report folder), NETGEN (the binary; default artifacts/gpu/netgen), PYTHON (the
# python3 to use; by default the first of python3 and /usr/bin/python3 that has numpy, else the first
# found, and for PyTorch the first of them that imports torch), BATCH (AlexNet's batch: 128; dry 4), MINI_BATCH (MiniAlexNet's: 128;
# dry 16), STEP_BATCH (8; dry 2), TOL (1e-3), NETGEN_BENCH_ARGS (more for `netgen bench`, e.g.
# "--iterations 15"), TORCH_ARGS (more for torch_bench.py), KEEP=1 (keep the work folder with the
# step's weights, batch and outputs).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
gpu_dir=$root/artifacts/gpu
limit_mib=64

# --help: the comment at the top of this file.
usage() { sed -n '2,/^set -euo/p' "$0" | sed -n 's/^# \{0,1\}//p' >&2; exit "${1:-2}"; }
die() { echo "run.sh: $*" >&2; exit 1; }

action=all
dry=0
for arg in "$@"; do
    case $arg in
        publish|run|all) action=$arg ;;
        dry|--dry) dry=1 ;;
        -h|--help) usage 0 ;;
        *) echo "run.sh: unknown argument '$arg'" >&2; usage ;;
    esac
done

# ---------------------------------------------------------------------------------------- publish
publish() {
    command -v dotnet >/dev/null 2>&1 ||
        die "publish: needs the .NET SDK ('dotnet' is not on the PATH); publish on a machine that has it, copy artifacts/gpu/ over, and run 'benchmarks/gpu/run.sh run' here"
    local stage=$gpu_dir/publish log=$gpu_dir/publish.log start=$SECONDS
    rm -rf "$stage"
    mkdir -p "$gpu_dir"
    echo "publish: netgen for linux-x64, self-contained, one compressed file -> $gpu_dir/netgen" >&2
    # IncludeNativeLibrariesForSelfExtract: ScottPlot's SkiaSharp and HarfBuzzSharp libraries (the
    # curves of `netgen train`) go inside the file too, extracted when it starts; without it they
    # would lie beside it. ILGPU is managed code and loads the driver's libcuda itself.
    if ! dotnet publish "$root/Networks/NetGen.Networks.csproj" -c Release -r linux-x64 --self-contained \
            -p:PublishSingleFile=true -p:EnableCompressionInSingleFile=true \
            -p:IncludeNativeLibrariesForSelfExtract=true -p:DebugType=none \
            -o "$stage" -nologo >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "publish: dotnet publish failed (the whole log: $log)"
    fi
    [ -f "$stage/netgen" ] || die "publish: dotnet publish wrote no $stage/netgen (log: $log)"
    # Only the one file is needed; the XML docs and the training sample beside it are not.
    mv -f "$stage/netgen" "$gpu_dir/netgen"
    rm -rf "$stage"
    local bytes
    bytes=$(stat -c %s "$gpu_dir/netgen")
    if [ "$bytes" -gt $((limit_mib * 1024 * 1024)) ]; then
        die "publish: $gpu_dir/netgen is $(mib "$bytes") MiB, over the $limit_mib MiB limit"
    fi
    local version extract
    # It unpacks its native libraries when it starts: into a folder of its own, not $HOME/.net.
    extract=$(mktemp -d "${TMPDIR:-/tmp}/netgen-publish.XXXXXX")
    version=$(DOTNET_BUNDLE_EXTRACT_BASE_DIR=$extract "$gpu_dir/netgen" --version 2>&1) || {
        rm -rf "$extract"
        die "publish: the published $gpu_dir/netgen does not start here: $version"
    }
    rm -rf "$extract"
    local commit dirty=false
    commit=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
    [ -n "$(git -C "$root" status --porcelain 2>/dev/null)" ] && dirty=true
    printf '{"version": %s, "bytes": %s, "commit": %s, "dirty": %s, "published": %s}\n' \
        "$(jstr "$version")" "$bytes" "$(jstr "$commit")" "$dirty" "$(jstr "$(date -u +%Y-%m-%dT%H:%M:%SZ)")" \
        >"$gpu_dir/netgen.json"
    echo "publish: $gpu_dir/netgen, $(mib "$bytes") MiB (limit $limit_mib), $version, commit ${commit:0:12}$([ "$dirty" = true ] && echo ' with changes'), $((SECONDS - start)) s" >&2
}

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

# A JSON string.
jstr() {
    local s=$1
    s=${s//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\t'/ }; s=${s//$'\n'/ }; s=${s//$'\r'/}
    printf '"%s"' "$s"
}

# -------------------------------------------------------------------------------------------- run
# Can the dynamic loader find libcuda.so, the name ILGPU asks for? If not, link it to the driver's
# libcuda.so.1 in a private folder and put that on LD_LIBRARY_PATH.
ensure_libcuda() {
    if "$py" -c 'import ctypes; ctypes.CDLL("libcuda.so")' >/dev/null 2>&1; then
        libcuda_note="libcuda.so found by the loader"
        return
    fi
    local ldconfig target="" dir
    ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)
    target=$("$ldconfig" -p 2>/dev/null | awk '$1 == "libcuda.so.1" && /x86-64/ { print $NF; exit }') || true
    if [ -z "$target" ]; then
        local IFS=:
        for dir in ${LD_LIBRARY_PATH:-} /usr/lib/x86_64-linux-gnu /usr/local/nvidia/lib64 /usr/local/nvidia/lib \
                   /usr/lib64 /usr/lib /lib/x86_64-linux-gnu /lib64 /usr/lib/wsl/lib; do
            if [ -n "$dir" ] && [ -e "$dir/libcuda.so.1" ]; then target=$dir/libcuda.so.1; break; fi
        done
    fi
    if [ -z "$target" ]; then
        libcuda_note="no libcuda.so or libcuda.so.1 found (ldconfig -p, LD_LIBRARY_PATH, the usual folders): is the NVIDIA driver installed?"
        echo "run.sh: warning: $libcuda_note" >&2
        return
    fi
    mkdir -p "$work/lib"
    ln -sf "$target" "$work/lib/libcuda.so"
    export LD_LIBRARY_PATH=$work/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    libcuda_note="libcuda.so linked to $target on LD_LIBRARY_PATH"
    echo "run.sh: $libcuda_note" >&2
}

# phase NAME DESCRIPTION COMMAND...: runs the command with its output in logs/NAME.log, records its
# exit status and time in phases.tsv, and says on the terminal how it went.
phase() {
    local name=$1 what=$2 status start end seconds
    shift 2
    printf '%-22s %s ... ' "$name" "$what" >&2
    start=$(date +%s.%N)
    set +e
    ( set -e; "$@" ) >"$out/logs/$name.log" 2>&1
    status=$?
    set -e
    end=$(date +%s.%N)
    seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
    printf '%s\t%s\t%s\t%s\n' "$name" "$status" "$seconds" "$what" >>"$out/phases.tsv"
    if [ "$status" -eq 0 ]; then
        echo "ok ($seconds s)" >&2
    else
        echo "FAILED (exit $status, $seconds s); the end of logs/$name.log:" >&2
        tail -n 15 "$out/logs/$name.log" | sed 's/^/    /' >&2
        failures+=("$name")
    fi
    return 0
}

netgen_bench() {  # network batch
    echo "+ netgen bench $1 --device $device --batch $2 --json ${bench_args[*]}"
    "$netgen" bench "$1" --device "$device" --batch "$2" --json "${bench_args[@]}" >"$out/raw/netgen-$1.json"
    cat "$out/raw/netgen-$1.json"
}

netgen_step() {
    local classes=1000 shape="3 227 227"
    [ "$step_net" = minialexnet ] && classes=10 shape="1 28 28"
    echo "+ netgen init $step_net --seed 7 --device cpu"
    "$netgen" init "$step_net" --seed 7 --out "$work/W.safetensors" --device cpu
    # Standard normal values times 128: a pixel's range, as benchmarks/reference/compare_step.sh uses
    # (with values near 0 AlexNet's max pools meet near ties that the two sides settle differently).
    # shellcheck disable=SC2086
    "$py" "$root/benchmarks/reference/make_step_input.py" "$work/X.safetensors" "$step_batch" $shape "$classes" 2 128
    for d in "$step_device" cpu; do
        echo "+ netgen step $step_net --no-dropout --device $d"
        "$netgen" step "$step_net" --weights "$work/W.safetensors" --input "$work/X.safetensors" \
            --out "$work/O-$d.safetensors" --no-dropout --activations --device "$d"
    done
    # --activations: the comparison finds the ReLUs and max pools that decided the other way at a
    # near tie (compare_steps.py says why that moves the gradients below them).
    echo "+ compare_steps.py O-$step_device O-cpu --tolerance $tol"
    "$py" "$here/compare_steps.py" "$work/O-$step_device.safetensors" "$work/O-cpu.safetensors" --tolerance "$tol" \
        --json-out "$out/raw/step-compare.json"
}

torch_bench() {  # network batch precision
    local extra=()
    [ "$3" = tf32 ] && extra=(--tf32)
    echo "+ torch_bench.py $1 --batch $2 --device $torch_device ${extra[*]} ${torch_args[*]}"
    "$torch_py" "$root/benchmarks/reference/torch_bench.py" "$1" --batch "$2" --device "$torch_device" --json \
        "${extra[@]}" "${torch_args[@]}" >"$out/raw/torch-$1-$3.json"
    cat "$out/raw/torch-$1-$3.json"
}

run() {
    netgen=${NETGEN:-$gpu_dir/netgen}
    [ -x "$netgen" ] ||
        die "run: no netgen at $netgen; run 'benchmarks/gpu/run.sh publish' on a machine with the .NET SDK and copy artifacts/gpu/ here (or set NETGEN)"
    out=${OUT:-$gpu_dir/report}
    mkdir -p "$out"
    out=$(cd "$out" && pwd)
    rm -rf "$out/logs" "$out/raw" "$out/phases.tsv" "$out/report.md" "$out/report.json" "$out/meta.json"
    mkdir -p "$out/logs" "$out/raw"
    work=$(mktemp -d "${TMPDIR:-/tmp}/netgen-gpu.XXXXXX")
    if [ "${KEEP:-0}" = 1 ]; then echo "run.sh: work folder $work (kept)" >&2; else trap 'rm -rf "$work"' EXIT; fi
    # The self-contained file unpacks its native libraries (SkiaSharp's) here when it starts, not in $HOME.
    export DOTNET_BUNDLE_EXTRACT_BASE_DIR=${DOTNET_BUNDLE_EXTRACT_BASE_DIR:-$work/bundle}
    failures=()
    local start=$SECONDS

    # The python3 for the comparison and the report: $PYTHON, else the first of python3 and
    # /usr/bin/python3 with numpy (which compares AlexNet's step in seconds), else the first at all.
    local candidates=(python3 /usr/bin/python3) candidate
    [ -z "${PYTHON:-}" ] || candidates=("$PYTHON")
    py=""
    for candidate in "${candidates[@]}"; do
        command -v "$candidate" >/dev/null 2>&1 || continue
        [ -n "$py" ] || py=$(command -v "$candidate")
        if "$candidate" -c 'import numpy' >/dev/null 2>&1; then py=$(command -v "$candidate"); break; fi
    done
    [ -n "$py" ] || die "run: needs python3 (${candidates[*]}: not found), for the step comparison and the report (numpy is not needed)"

    local cores
    cores=$(nproc 2>/dev/null || echo 1)
    if [ "$dry" = 1 ]; then
        # The step: MiniAlexNet on ilgpu-gpu, ILGPU's CPU accelerator shaped like a GPU, so the dry run
        # takes the path a GPU takes, NetGen's kernel library included (AlexNet's would take minutes).
        mode=dry device=cpu step_device=ilgpu-gpu step_net=minialexnet torch_device=cpu
        batch=${BATCH:-4} mini_batch=${MINI_BATCH:-16} step_batch=${STEP_BATCH:-2}
        bench_args=(--warmup 1 --iterations 1)
        torch_args=(--warmup 1 --iters 2 --threads "$cores")
        precisions=(fp32)
    else
        mode=gpu device=cuda step_device=cuda step_net=alexnet torch_device=cuda
        batch=${BATCH:-128} mini_batch=${MINI_BATCH:-128} step_batch=${STEP_BATCH:-8}
        bench_args=()
        torch_args=(--warmup 10 --iters 30 --threads "$cores")
        precisions=(fp32 tf32)
    fi
    tol=${TOL:-1e-3}
    read -r -a more <<<"${NETGEN_BENCH_ARGS:-}"
    bench_args+=(${more[@]+"${more[@]}"})
    read -r -a more <<<"${TORCH_ARGS:-}"
    torch_args+=(${more[@]+"${more[@]}"})

    echo "run: $mode run of $netgen -> $out" >&2
    local device_name cpu_name
    cpu_name=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null) || true
    device_name="cpu (${cpu_name:-unknown}, $cores cores)"
    libcuda_note="not needed"
    if [ "$mode" = gpu ]; then
        ensure_libcuda
        device_name=""
        if command -v nvidia-smi >/dev/null 2>&1; then
            nvidia-smi >"$out/logs/nvidia-smi.log" 2>&1 || true
            device_name=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader -i 0 2>/dev/null |
                awk -F', ' '{ printf "%s, %s, driver %s", $1, $2, $3 }') || true
        fi
    fi

    # PyTorch, where it is importable (and on the GPU, sees CUDA).
    torch_py="" pytorch_note=""
    for candidate in "${candidates[@]}"; do
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import torch' >/dev/null 2>&1; then torch_py=$(command -v "$candidate"); break; fi
    done
    if [ -z "$torch_py" ]; then
        pytorch_note="not run: no python3 here imports torch (tried ${candidates[*]})"
    elif [ "$mode" = gpu ] && ! "$torch_py" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' >/dev/null 2>&1; then
        pytorch_note="not run: torch $("$torch_py" -c 'import torch; print(torch.__version__)' 2>/dev/null) in $torch_py sees no CUDA GPU (torch.cuda.is_available() is False)"
        torch_py=""
    else
        pytorch_note="PyTorch $("$torch_py" -c 'import torch; print(torch.__version__)' 2>/dev/null) ($torch_py), $([ "$mode" = gpu ] && echo 'cuDNN, FP32 and TF32' || echo 'CPU, FP32')"
    fi
    echo "run: PyTorch anchor: $pytorch_note" >&2
    if [ "$mode" = gpu ] && [ -z "$device_name" ] && [ -n "$torch_py" ]; then
        device_name=$("$torch_py" -c 'import torch; print(torch.cuda.get_device_name(0))' 2>/dev/null) || true
    fi
    [ -n "$device_name" ] || device_name="unknown (no nvidia-smi, and no PyTorch that sees a CUDA GPU)"
    echo "run: device: $device_name" >&2

    phase netgen-version "netgen --version" "$netgen" --version
    phase netgen-alexnet "netgen bench alexnet --device $device --batch $batch" netgen_bench alexnet "$batch"
    phase netgen-minialexnet "netgen bench minialexnet --device $device --batch $mini_batch" netgen_bench minialexnet "$mini_batch"
    phase step "netgen step $step_net --device $step_device against --device cpu, batch $step_batch" netgen_step
    if [ -n "$torch_py" ]; then
        local net precision b
        for net in alexnet minialexnet; do
            b=$batch; [ "$net" = minialexnet ] && b=$mini_batch
            for precision in "${precisions[@]}"; do
                phase "torch-$net-$precision" "PyTorch $net --device $torch_device $precision --batch $b" torch_bench "$net" "$b" "$precision"
            done
        done
    fi

    # What the report says about the run (report.py reads it with the phases' JSON).
    local netgen_device="" binary_json="{}" commit
    netgen_device=$(grep -m 1 ' on .*: ' "$out/logs/netgen-alexnet.log" 2>/dev/null | sed 's/, batch [0-9].*//') || true
    [ -f "$(dirname "$netgen")/netgen.json" ] && binary_json=$(cat "$(dirname "$netgen")/netgen.json")
    commit=$("$py" -c 'import json, sys; print(json.load(open(sys.argv[1])).get("commit", ""))' \
        "$(dirname "$netgen")/netgen.json" 2>/dev/null || true)
    [ -n "$commit" ] || commit=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
    {
        printf '{"mode": %s, "date": %s, "commit": %s, "device": %s, "netgen_device": %s, "pytorch": %s, ' \
            "$(jstr "$mode")" "$(jstr "$(date -u +%Y-%m-%dT%H:%M:%SZ)")" "$(jstr "$commit")" "$(jstr "$device_name")" \
            "$(jstr "$netgen_device")" "$(jstr "$pytorch_note")"
        printf '"libcuda": %s, "binary": %s, ' "$(jstr "$libcuda_note")" "$binary_json"
        printf '"step": {"network": %s, "batch": %s, "device": %s, "reference": "cpu"}, ' \
            "$(jstr "$step_net")" "$step_batch" "$(jstr "$step_device")"
        printf '"settings": {"netgen_bench_args": %s, "torch_args": %s, "seconds": %s}}\n' \
            "$(jstr "${bench_args[*]}")" "$(jstr "${torch_args[*]}")" "$((SECONDS - start))"
    } >"$out/meta.json"

    "$py" "$here/report.py" "$out" || die "run: report.py failed; the phases' output is in $out/logs and $out/raw"
    echo >&2
    cat "$out/report.md"
    echo >&2
    if [ ${#failures[@]} -gt 0 ]; then
        echo "run.sh: ${#failures[@]} phase(s) failed: ${failures[*]} (logs in $out/logs); report: $out/report.md" >&2
        return 1
    fi
    echo "run.sh: every phase passed in $((SECONDS - start)) s; report: $out/report.md" >&2
}

case $action in
    publish) [ "$dry" = 0 ] || die "publish has no dry mode: it is the same everywhere"; publish ;;
    run) run ;;
    all)
        if [ "$dry" = 1 ] || command -v dotnet >/dev/null 2>&1; then
            publish
        elif [ -x "${NETGEN:-$gpu_dir/netgen}" ]; then
            echo "run.sh: no dotnet here: running the netgen published before (${NETGEN:-$gpu_dir/netgen})" >&2
        fi
        run
        ;;
esac
