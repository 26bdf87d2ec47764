#!/usr/bin/env python3
"""Write report.json and report.md from what benchmarks/gpu/run.sh left in its output folder.

  report.py OUT

Reads OUT/meta.json (the run: mode, date, commit, device, settings), OUT/phases.tsv (each phase's
name, exit status, seconds and note), and the JSON each phase printed under OUT/raw/: netgen's
`bench --json` (netgen-alexnet.json, netgen-minialexnet.json), torch_bench.py's (torch-<network>-
<fp32|tf32>.json) and compare_steps.py's (step-compare.json). A phase that failed or never ran is
reported as such, so the report is written whatever is missing. Only the standard library.
"""

import json
import math
import os
import sys

NETWORKS = (("alexnet", "AlexNet"), ("minialexnet", "MiniAlexNet"))
PRECISIONS = (("fp32", "FP32"), ("tf32", "TF32"))


def load(path):
    """The JSON object in path, or None when the file is missing, empty or not JSON."""
    try:
        with open(path) as f:
            text = f.read().strip()
        # netgen and torch_bench print one object; take the last line that parses, in case
        # something else reached stdout before it.
        for line in reversed(text.splitlines()):
            line = line.strip()
            if line.startswith("{"):
                return json.loads(line)
        return json.loads(text) if text else None
    except (OSError, ValueError):
        return None


def phases(path):
    """name -> {status, seconds, note} from phases.tsv (name, exit status, seconds, note)."""
    result = {}
    try:
        with open(path) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) >= 3:
                    result[parts[0]] = {"status": int(parts[1]), "seconds": float(parts[2]),
                                        "note": parts[3] if len(parts) > 3 else ""}
    except OSError:
        pass
    return result


def number(value, digits=1):
    """A table cell: thousands separated, '-' for nothing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:,.{digits}f}"


def ratio(ours, theirs):
    return ours / theirs if ours and theirs else None


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = argv[1]
    raw = os.path.join(out, "raw")
    meta = load(os.path.join(out, "meta.json")) or {}
    ran = phases(os.path.join(out, "phases.tsv"))

    networks = {}
    for key, name in NETWORKS:
        ours = load(os.path.join(raw, f"netgen-{key}.json"))
        entry = {"name": name, "netgen": None, "pytorch": {}}
        if ours:
            entry["netgen"] = {k: ours.get(k) for k in (
                "device", "batch", "forward_images_per_second", "train_images_per_second", "forward_ms",
                "train_ms", "forward_gflops", "train_gflops", "forward_images_per_second_min",
                "forward_images_per_second_max", "train_images_per_second_min", "train_images_per_second_max",
                "iterations")}
        for precision, _ in PRECISIONS:
            theirs = load(os.path.join(raw, f"torch-{key}-{precision}.json"))
            if theirs:
                entry["pytorch"][precision] = {k: theirs.get(k) for k in (
                    "device", "device_name", "batch", "forward_images_per_second", "train_images_per_second",
                    "forward_ms", "train_ms", "forward_gflops", "train_gflops", "torch", "cudnn", "tf32",
                    "conv_backend", "iters", "warmup")}
                entry["pytorch"][precision]["train_ratio"] = ratio(
                    entry["netgen"] and entry["netgen"]["train_images_per_second"],
                    theirs.get("train_images_per_second"))
                entry["pytorch"][precision]["forward_ratio"] = ratio(
                    entry["netgen"] and entry["netgen"]["forward_images_per_second"],
                    theirs.get("forward_images_per_second"))
        networks[key] = entry

    step = load(os.path.join(raw, "step-compare.json"))
    if step:
        flips = step.get("flips") or []
        step = {k: step.get(k) for k in ("max_relative_difference", "worst_tensor", "max_relative_difference_elsewhere",
                                          "worst_tensor_elsewhere", "tolerance", "flip_tolerance", "tie_tolerance",
                                          "tensors", "layers_after_flips", "flipped_elements", "passed", "problems")}
        step["flipped_layers"] = sorted({f["layer"] for f in flips}, key=lambda layer: (
            step["layers_after_flips"].index(layer) if layer in (step["layers_after_flips"] or []) else 99))
    failed = sorted(name for name, p in ran.items() if p["status"] != 0)
    report = {
        "mode": meta.get("mode"),
        "date": meta.get("date"),
        "commit": meta.get("commit"),
        "device": meta.get("device"),
        "netgen_device": meta.get("netgen_device"),
        "settings": meta.get("settings", {}),
        "netgen_binary": meta.get("binary", {}),
        "pytorch_anchor": meta.get("pytorch", "not run"),
        "libcuda": meta.get("libcuda"),
        "networks": networks,
        "step": dict(step or {}, **meta.get("step", {})) if step or meta.get("step") else None,
        "phases": ran,
        "failed_phases": failed,
        "passed": not failed,
    }
    with open(os.path.join(out, "report.json"), "w") as f:
        json.dump(report, f, indent=2, allow_nan=False, default=str)
        f.write("\n")

    md = []
    dry = meta.get("mode") == "dry"
    md.append(f"# NetGen on {'the CPU (dry run)' if dry else report['device'] or 'a GPU'}")
    md.append("")
    md.append(f"- date: {report['date']}")
    dirty = " plus uncommitted changes" if report["netgen_binary"].get("dirty") else ""
    source = "the published netgen's" if report["netgen_binary"].get("commit") else "this checkout's"
    md.append(f"- commit: {report['commit']}{dirty} ({source})")
    md.append(f"- device: {report['device']}")
    if report["netgen_device"]:
        md.append(f"- netgen: {report['netgen_device']}")
    binary = report["netgen_binary"]
    if binary:
        md.append(f"- binary: {binary.get('path', 'netgen')}, {number(binary.get('bytes', 0) / 2**20)} MiB, "
                  f"{binary.get('version', '?')}")
    md.append(f"- PyTorch anchor: {report['pytorch_anchor']}")
    if not dry and report["libcuda"]:
        md.append(f"- libcuda: {report['libcuda']}")
    if dry:
        md.append("- dry run: NetGen's CPU backend stands in for CUDA and ILGPU's CPU accelerator for the "
                  "GPU kernels in the step comparison; small batches and one timed iteration, so the numbers "
                  "only show that every phase runs")
    md.append("")
    md.append("## Throughput")
    md.append("")
    md.append("Images/s (median of the timed iterations); step ms is one training step (forward, loss, "
              "backward, update) of the whole batch. The ratio is NetGen's training images/s over the "
              "row's (above 1: NetGen is faster).")
    md.append("")
    md.append("| network | system | batch | forward img/s | train img/s | forward ms | step ms | NetGen train / this |")
    md.append("|---|---|---|---|---|---|---|---|")
    for key, name in NETWORKS:
        entry = networks[key]
        ours = entry["netgen"]
        if ours:
            md.append(f"| {name} | NetGen ({ours['device']}) | {ours['batch']} | "
                      f"{number(ours['forward_images_per_second'])} | {number(ours['train_images_per_second'])} | "
                      f"{number(ours['forward_ms'], 2)} | {number(ours['train_ms'], 2)} | |")
        else:
            md.append(f"| {name} | NetGen | - | failed: see logs/netgen-{key}.log | | | | |")
        for precision, label in PRECISIONS:
            theirs = entry["pytorch"].get(precision)
            if theirs:
                backend = "cuDNN" if theirs.get("device") == "cuda" else theirs.get("conv_backend", "")
                md.append(f"| {name} | PyTorch {theirs.get('torch', '')} {label} ({backend}) | {theirs['batch']} | "
                          f"{number(theirs['forward_images_per_second'])} | "
                          f"{number(theirs['train_images_per_second'])} | {number(theirs['forward_ms'], 2)} | "
                          f"{number(theirs['train_ms'], 2)} | "
                          f"{number(theirs['train_ratio'], 2) + 'x' if theirs['train_ratio'] else '-'} |")
    md.append("")
    md.append("## One step against the CPU backend")
    md.append("")
    s = report["step"]
    if s and s.get("max_relative_difference") is not None:
        md.append(f"`netgen step {s.get('network', '?')} --activations` at batch {s.get('batch', '?')} on the same "
                  f"weights and batch, `--device {s.get('device', '?')}` against `--device cpu`, evaluation mode (no "
                  f"dropout): {s['tensors']} tensors (logits, loss, every parameter's gradient, every activation).")
        md.append("")
        md.append(f"- largest normwise relative difference (max|a - b| / max|b| per tensor): "
                  f"**{s['max_relative_difference']:.3e}** ({s['worst_tensor']})")
        if s.get("layers_after_flips"):
            md.append(f"- a ReLU or max pool of {', '.join(s['flipped_layers'])} decided a near tie the other way "
                      f"({s['flipped_elements']} elements of its activations and their gradients are zero on one "
                      f"side only), which moves the gradients of {', '.join(s['layers_after_flips'])}: they are "
                      f"judged against {s['flip_tolerance']:g}")
            if s.get("worst_tensor_elsewhere"):
                md.append(f"- every other tensor: largest {s['max_relative_difference_elsewhere']:.3e} "
                          f"({s['worst_tensor_elsewhere']})")
        md.append(f"- tolerance {s['tolerance']:g}: {'passed' if s['passed'] else 'FAILED'}")
        for problem in s.get("problems") or []:
            md.append(f"  - {problem}")
    else:
        md.append("not compared: the step phase failed (see logs/step.log)")
    md.append("")
    md.append("## Phases")
    md.append("")
    md.append("| phase | result | seconds | note |")
    md.append("|---|---|---|---|")
    for name, p in ran.items():
        result = "ok" if p["status"] == 0 else f"FAILED (exit {p['status']})"
        md.append(f"| {name} | {result} | {p['seconds']:.1f} | {p['note']} |")
    md.append("")
    md.append("Logs of every phase: `logs/`; the JSON each printed: `raw/`; all of this as data: `report.json`.")
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
