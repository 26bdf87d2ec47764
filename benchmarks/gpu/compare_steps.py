#!/usr/bin/env python3
"""Compare two `netgen step` outputs (safetensors) tensor by tensor: a step on one device against
the same step on the CPU backend, from the same weights and batch.

  compare_steps.py GOT.safetensors REFERENCE.safetensors [--tolerance 1e-3] [--tie-tolerance 1e-5]
                   [--flip-tolerance 0.1] [--json | --json-out FILE]

For every tensor both files hold it computes the normwise relative difference max|a - b| / max|b|,
as benchmarks/reference/torch_step.py's compare does (an elementwise ratio would be ruled by the
gradients' near-zero entries). Judged against --tolerance: the logits, the loss, every forward
activation (`netgen step --activations`), every tensor that is not trained, and every parameter's
gradient.

Decisions that go the other way. Two devices sum in different orders, so a value that is zero up to
rounding (1e-6 of its tensor's largest) can pass a ReLU on one device and not on the other, and two
near-equal values in a max-pool window can swap; either sends a whole upstream gradient somewhere
else, and the parameter gradients of that layer and every layer before it move by a few percent at a
small batch while every value agrees to 1e-6. With the activations in both files, such decisions
show as elements that are zero on one side only: in a forward activation (a ReLU; counted as a near
decision when the other side is within --tie-tolerance of the tensor's largest value) or in an
activation's gradient (a ReLU or a max pool's routing). The parameter gradients of the layers up to
the last layer with such a decision are then judged against --flip-tolerance instead; every other
tensor still against --tolerance. Activation gradients are only used for this, not judged.

Exit 0 when every judged tensor is within its tolerance, 1 when one is not (or a tensor is missing,
misshapen or not finite), 2 on bad usage. Uses numpy when it can be imported, else plain Python
(slower, about ten seconds for AlexNet), so it needs nothing beyond python3.
"""

import argparse
import array
import json
import math
import struct
import sys

try:
    import numpy as np
except ImportError:  # pragma: no cover - depends on the machine
    np = None

FORMATS = {"F32": "f", "F64": "d", "I64": "q", "I32": "i"}


def read(path):
    """[(name, shape, values)] of a safetensors file in the order of the data (netgen writes the
    parameters and activations in forward order); values a numpy float64 array or an array.array."""
    with open(path, "rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
        data = f.read()
    tensors = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in FORMATS:
            raise SystemExit(f"compare_steps.py: {path}: tensor '{name}' has dtype {dtype}, which this script does not read")
        raw = data[begin:end]
        if np is not None:
            values = np.frombuffer(raw, dtype="<" + FORMATS[dtype]).astype(np.float64)
        else:
            values = array.array(FORMATS[dtype])
            values.frombytes(raw)
            if sys.byteorder != "little":
                values.byteswap()
        tensors.append((begin, name, shape, values))
    return [(name, shape, values) for _, name, shape, values in sorted(tensors, key=lambda t: t[0])]


def difference(a, b):
    """(max|a - b|, max|b|, all finite) of two equal-length vectors."""
    if np is not None:
        finite = bool(np.isfinite(a).all() and np.isfinite(b).all())
        if not a.size:
            return 0.0, 0.0, finite
        return float(np.abs(a - b).max()), float(np.abs(b).max()), finite
    diff = scale = 0.0
    finite = True
    for x, y in zip(a, b):
        if not (math.isfinite(x) and math.isfinite(y)):
            finite = False
            continue
        diff = max(diff, abs(x - y))
        scale = max(scale, abs(y))
    return diff, scale, finite


def zero_flips(a, b):
    """(elements zero on exactly one side, the largest magnitude on the other side at one of them)."""
    if np is not None:
        mask = (a == 0) != (b == 0)
        count = int(mask.sum())
        return count, float(np.maximum(np.abs(a), np.abs(b))[mask].max()) if count else 0.0
    count, largest = 0, 0.0
    for x, y in zip(a, b):
        if (x == 0) != (y == 0):
            count += 1
            largest = max(largest, abs(x), abs(y))
    return count, largest


def layer_of(name):
    """The layer a tensor belongs to: 'conv2' for conv2.weight.grad and activation.conv2.lrn.grad."""
    return (name[len("activation."):] if name.startswith("activation.") else name).split(".")[0]


def kind_of(name):
    if name.startswith("activation."):
        return "activation gradient" if name.endswith(".grad") else "activation"
    if name.endswith(".grad"):
        return "gradient"
    return "output" if name in ("logits", "loss") else "state"  # a tensor that is not trained


def strict(value):
    """value with every float that is not finite replaced by None, so the JSON is strict (null)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: strict(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strict(v) for v in value]
    return value


def compare(got_path, ref_path, tol, tie_tol, flip_tol):
    got = {name: (shape, values) for name, shape, values in read(got_path)}
    ref = read(ref_path)
    problems, rows, flips = [], [], []
    layers = []  # forward order, as the reference file lists them
    for name, _, _ in ref:
        if layer_of(name) not in layers and kind_of(name) in ("gradient", "activation"):
            layers.append(layer_of(name))
    for name in sorted(set(got) - {n for n, _, _ in ref}):
        problems.append(f"{name}: only in the checked step")

    for name, shape, r in ref:
        if name not in got:
            problems.append(f"{name}: only in the reference")
            continue
        gshape, g = got[name]
        if gshape != shape:
            problems.append(f"{name}: shape {gshape} against {shape}")
            continue
        diff, scale, finite = difference(g, r)
        rel = diff / scale if scale > 0 else (0.0 if diff == 0 else math.inf)
        kind = kind_of(name)
        rows.append({"tensor": name, "kind": kind, "layer": layer_of(name), "shape": shape,
                     "max_abs_difference": diff, "max_abs_reference": scale, "relative_difference": rel,
                     "finite": finite})
        if kind in ("activation", "activation gradient"):
            count, largest = zero_flips(g, r)
            if count:
                near = kind == "activation gradient" or largest <= tie_tol * scale
                flips.append({"tensor": name, "layer": layer_of(name), "elements": count,
                              "largest_other_side": largest, "relative_to_max": largest / scale if scale else None,
                              "near": near})

    near_layers = {f["layer"] for f in flips if f["near"]}
    last = max((layers.index(layer) for layer in near_layers if layer in layers), default=-1)
    affected = set(layers[:last + 1])
    for row in rows:
        judged = row["kind"] != "activation gradient"
        row["tolerance"] = (flip_tol if row["kind"] == "gradient" and row["layer"] in affected else tol) if judged else None
        if not row["finite"]:
            problems.append(f"{row['tensor']}: not finite")
        elif judged and row["relative_difference"] > row["tolerance"]:
            problems.append(f"{row['tensor']}: normwise relative difference {row['relative_difference']:.3e} "
                            f"> {row['tolerance']:g}")
    for f in flips:
        if not f["near"]:
            problems.append(f"{f['tensor']}: {f['elements']} elements zero on one side only, up to "
                            f"{f['largest_other_side']:.3e} on the other ({f['relative_to_max']:.1e} of the largest)")

    judged = [r for r in rows if r["tolerance"] is not None]
    worst = max(judged, key=lambda r: r["relative_difference"], default=None)
    strict_rows = [r for r in judged if r["tolerance"] == tol]
    worst_strict = max(strict_rows, key=lambda r: r["relative_difference"], default=None)
    return {
        "tolerance": tol,
        "tie_tolerance": tie_tol,
        "flip_tolerance": flip_tol,
        "tensors": len(judged),
        "max_relative_difference": worst["relative_difference"] if worst else None,
        "worst_tensor": worst["tensor"] if worst else None,
        "max_relative_difference_elsewhere": worst_strict["relative_difference"] if worst_strict else None,
        "worst_tensor_elsewhere": worst_strict["tensor"] if worst_strict else None,
        "flipped_elements": sum(f["elements"] for f in flips),
        "flips": flips,
        "layers_after_flips": [layer for layer in layers if layer in affected],
        "activations": any(r["kind"] == "activation" for r in rows),
        "passed": not problems and bool(judged),
        "problems": problems,
        "numpy": np is not None,
        "rows": rows,
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("got", help="the step to check (e.g. --device cuda)")
    p.add_argument("reference", help="the reference step (e.g. --device cpu)")
    p.add_argument("--tolerance", type=float, default=1e-3)
    p.add_argument("--tie-tolerance", type=float, default=1e-5)
    p.add_argument("--flip-tolerance", type=float, default=0.1)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    p.add_argument("--json-out", metavar="FILE", help="print the table and write the JSON object to FILE")
    a = p.parse_args(argv)

    result = compare(a.got, a.reference, a.tolerance, a.tie_tolerance, a.flip_tolerance)
    if a.json:
        print(json.dumps(strict(result), allow_nan=False))
        return 0 if result["passed"] else 1
    if a.json_out:
        with open(a.json_out, "w") as f:
            f.write(json.dumps(strict(result), allow_nan=False) + "\n")

    rows = result["rows"]
    width = max([len(r["tensor"]) for r in rows] + [6])
    print(f"{'tensor':<{width}} {'shape':<18} {'max|a-b|':>10} {'max|ref|':>10} {'relative':>10} {'tolerance':>9}")
    for r in rows:
        tol = "-" if r["tolerance"] is None else f"{r['tolerance']:g}"
        print(f"{r['tensor']:<{width}} {str(r['shape']):<18} {r['max_abs_difference']:>10.3e} "
              f"{r['max_abs_reference']:>10.3e} {r['relative_difference']:>10.3e} {tol:>9}")
    for f in result["flips"]:
        share = "" if f["relative_to_max"] is None else f", {f['relative_to_max']:.1e} of the largest"
        print(f"{f['tensor']}: {f['elements']} elements zero on one side only "
              f"(the other side up to {f['largest_other_side']:.3e}{share})")
    if result["layers_after_flips"]:
        flipped = sorted({f["layer"] for f in result["flips"] if f["near"]}, key=result["layers_after_flips"].index)
        print(f"a ReLU or max pool of {', '.join(flipped)} decided the other way at a near tie: the gradients of "
              f"{', '.join(result['layers_after_flips'])} are judged against {a.flip_tolerance:g}")
    if result["worst_tensor"]:
        print(f"largest normwise relative difference: {result['max_relative_difference']:.3e} ({result['worst_tensor']})"
              + (f"; elsewhere {result['max_relative_difference_elsewhere']:.3e} ({result['worst_tensor_elsewhere']})"
                 if result["layers_after_flips"] and result["worst_tensor_elsewhere"] else ""))
    for problem in result["problems"]:
        print(f"FAIL {problem}")
    print("passed" if result["passed"] else "FAILED")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
