#!/usr/bin/python3
"""Independent PyTorch reference for `netgen step` (one forward + backward pass).

Subcommands (run with /usr/bin/python3; needs only the standard library, numpy and torch):

  input   --network N --batch B --seed S --scale V --out X.safetensors
          random batch: "input" F32 (B,C,H,W) uniform in [-V, V], "labels" I64 (B) uniform classes.
  weights --network N --seed S --out W.safetensors
          initial weights as the declarations specify them (for self-tests without netgen).
  step    --network N --weights W --input X --out T.safetensors [--double]
          torch forward + backward; writes "logits" (B,classes), "loss" (scalar), "<param>.grad".
  compare --network N --weights W --input X --netgen O.safetensors [--tolerance 1e-3]
          diffs O against torch in float64 (the truth) and shows float32 torch's own error;
          exit 1 if any tensor is missing, misshapen, non-finite or off by more than the tolerance.
  lrn-check
          checks numerically that the LRN here is the paper's formula (alpha not divided by n),
          kept inside each column's channels.

The networks are written out below by hand from Runtime/Networks/AlexNet.cs, Runtime/Networks/MiniAlexNet.cs and
ALEXNET.md, independently of NetGen's generator.
"""

import argparse
import json
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

# ----------------------------------------------------------------------------------------------
# safetensors (https://github.com/huggingface/safetensors#format), written by hand: Debian has no
# python3-safetensors. 8-byte little-endian header length, JSON header, raw little-endian data.
# ----------------------------------------------------------------------------------------------

_DTYPES = {
    "F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"), "I32": np.dtype("<i4"), "I16": np.dtype("<i2"), "I8": np.dtype("i1"),
    "U8": np.dtype("u1"), "BOOL": np.dtype("?"),
}
_NAMES = {(v.kind, v.itemsize): k for k, v in _DTYPES.items()}


def read_safetensors(path):
    """Returns ({name: numpy array}, metadata dict)."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ValueError(f"{path}: header length {n} runs past the end of the file ({len(raw)} bytes)")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = memoryview(raw)[8 + n:]
    meta = header.pop("__metadata__", {}) or {}
    tensors = {}
    for name, info in header.items():
        dtype = info["dtype"]
        if dtype not in _DTYPES:
            raise ValueError(f"{path}: tensor {name!r} has unsupported dtype {dtype}")
        dt = _DTYPES[dtype]
        shape = tuple(int(s) for s in info["shape"])
        begin, end = info["data_offsets"]
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if end - begin != count * dt.itemsize or end > len(data):
            raise ValueError(f"{path}: tensor {name!r} {dtype}{list(shape)} has data_offsets "
                             f"[{begin}, {end}] ({end - begin} bytes), expected {count * dt.itemsize}")
        tensors[name] = np.frombuffer(data[begin:end], dtype=dt).reshape(shape).copy()
    return tensors, meta


def write_safetensors(path, tensors, metadata=None):
    """tensors: {name: numpy array or torch tensor}; written in insertion order, header padded to 8."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        if isinstance(t, torch.Tensor):
            t = t.detach().cpu().numpy()
        a = np.asarray(t)  # not ascontiguousarray: it turns a scalar (shape []) into shape [1]
        if not a.flags.c_contiguous:
            a = a.copy(order="C")
        key = (a.dtype.kind, a.dtype.itemsize)
        if key not in _NAMES:
            raise ValueError(f"cannot write {name!r} of dtype {a.dtype}")
        b = a.astype(_DTYPES[_NAMES[key]], copy=False).tobytes()
        header[name] = {"dtype": _NAMES[key], "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


# ----------------------------------------------------------------------------------------------
# The networks
# ----------------------------------------------------------------------------------------------

class Lrn:
    """Paper's LRN: b = a / (k + alpha * sum_{window of n channels} a^2)^beta; alpha NOT divided by n."""

    def __init__(self, n=5, alpha=1e-4, beta=0.75, k=2.0):
        self.n, self.alpha, self.beta, self.k = n, alpha, beta, k


class Conv:
    def __init__(self, name, cin, cout, kernel, stride=1, pad=0, groups=1, std=0.01, bias=0.0,
                 lrn=None, pool=None):
        # pool: (window, stride, ceil_mode) or None; order inside the layer: conv, ReLU, LRN, pool
        self.name, self.cin, self.cout, self.kernel = name, cin, cout, kernel
        self.stride, self.pad, self.groups, self.std, self.bias = stride, pad, groups, std, bias
        self.lrn, self.pool = lrn, pool

    def params(self):
        return [(f"{self.name}.weight", (self.cout, self.cin // self.groups, self.kernel, self.kernel), self.std),
                (f"{self.name}.bias", (self.cout,), None)]


class Dense:
    def __init__(self, name, fin, fout, std=0.01, bias=0.0, relu=True):
        self.name, self.fin, self.fout, self.std, self.bias, self.relu = name, fin, fout, std, bias, relu

    def params(self):
        return [(f"{self.name}.weight", (self.fout, self.fin), self.std), (f"{self.name}.bias", (self.fout,), None)]


class Net:
    def __init__(self, name, channels, size, classes, columns, convs, denses):
        self.name, self.channels, self.size, self.classes = name, channels, size, classes
        self.columns, self.convs, self.denses = columns, convs, denses

    @property
    def layers(self):
        return self.convs + self.denses

    def param_specs(self):
        return [p for layer in self.layers for p in layer.params()]


def alexnet():
    lrn = Lrn(5, 1e-4, 0.75, 2.0)
    return Net("alexnet", 3, 227, 1000, 2, [
        Conv("conv1", 3, 96, 11, stride=4, lrn=lrn, pool=(3, 2, False)),
        Conv("conv2", 96, 256, 5, pad=2, groups=2, bias=1.0, lrn=lrn, pool=(3, 2, False)),
        Conv("conv3", 256, 384, 3, pad=1),
        Conv("conv4", 384, 384, 3, pad=1, groups=2, bias=1.0),
        Conv("conv5", 384, 256, 3, pad=1, groups=2, bias=1.0, pool=(3, 2, False)),
    ], [
        Dense("fc6", 256 * 6 * 6, 4096, bias=1.0),
        Dense("fc7", 4096, 4096, bias=1.0),
        Dense("fc8", 4096, 1000, relu=False),
    ])


def minialexnet():
    lrn = Lrn(5, 1e-4, 0.75, 2.0)  # Lrn(5): the attribute's defaults are the paper's
    return Net("minialexnet", 1, 28, 10, 2, [
        Conv("conv1", 1, 32, 3, pad=1, std=0.47, lrn=lrn, pool=(3, 2, True)),          # 28 -> 14
        Conv("conv2", 32, 64, 3, pad=1, std=0.083, bias=0.1, lrn=lrn, pool=(3, 2, True)),  # -> 7
        Conv("conv3", 64, 96, 3, pad=1, std=0.059),
        Conv("conv4", 96, 96, 3, pad=1, std=0.048, bias=0.1),
        Conv("conv5", 96, 64, 3, pad=1, std=0.048, bias=0.1),  # no pool: fc6 reads 7 x 7
    ], [
        Dense("fc6", 64 * 7 * 7, 512, std=0.0253, bias=0.1),
        Dense("fc7", 512, 512, std=0.0625, bias=0.1),
        Dense("fc8", 512, 10, std=0.01, relu=False),
    ])


NETWORKS = {"alexnet": alexnet, "minialexnet": minialexnet}


def lrn_torch(x, lrn, columns):
    """LRN within each column's channels. torch's local_response_norm divides alpha by the size
    (it averages the squares with avg_pool3d), so the paper's alpha is passed as alpha * n."""
    parts = torch.chunk(x, columns, dim=1) if columns > 1 else (x,)
    out = [F.local_response_norm(p, lrn.n, alpha=lrn.alpha * lrn.n, beta=lrn.beta, k=lrn.k) for p in parts]
    return torch.cat(out, dim=1) if columns > 1 else out[0]


def forward(net, params, x):
    """Dropout off (eval). Returns the logits (fc8 before softmax)."""
    for c in net.convs:
        x = F.conv2d(x, params[f"{c.name}.weight"], params[f"{c.name}.bias"], stride=c.stride,
                     padding=c.pad, groups=c.groups)
        x = F.relu(x)
        if c.lrn is not None:
            x = lrn_torch(x, c.lrn, net.columns)
        if c.pool is not None:
            w, s, ceil = c.pool
            x = F.max_pool2d(x, w, stride=s, ceil_mode=ceil)
    x = x.reshape(x.shape[0], -1)  # NCHW flatten
    for d in net.denses:
        if x.shape[1] != d.fin:
            raise ValueError(f"{d.name}: expected {d.fin} inputs, got {x.shape[1]}")
        x = F.linear(x, params[f"{d.name}.weight"], params[f"{d.name}.bias"])
        if d.relu:
            x = F.relu(x)
    return x


def load_weights(net, path):
    tensors, _ = read_safetensors(path)
    problems = []
    weights = {}
    for name, shape, _ in net.param_specs():
        if name not in tensors:
            problems.append(f"missing {name} {list(shape)}")
        elif tuple(tensors[name].shape) != shape:
            problems.append(f"{name}: shape {list(tensors[name].shape)}, expected {list(shape)}")
        else:
            weights[name] = tensors[name]
    expected = {n for n, _, _ in net.param_specs()}
    extra = sorted(n for n in tensors if n not in expected and not n.startswith("momentum."))
    if extra:
        print(f"note: {path} has tensors the reference ignores: {', '.join(extra)}", file=sys.stderr)
    if problems:
        raise SystemExit(f"error: {path} does not hold {net.name}'s weights:\n  " + "\n  ".join(problems))
    return weights


def load_input(net, path):
    tensors, _ = read_safetensors(path)
    for need in ("input", "labels"):
        if need not in tensors:
            raise SystemExit(f"error: {path} has no tensor {need!r} (has {sorted(tensors)})")
    x, y = tensors["input"], tensors["labels"]
    want = (net.channels, net.size, net.size)
    if x.ndim != 4 or tuple(x.shape[1:]) != want:
        raise SystemExit(f"error: input shape {list(x.shape)}, expected [N, {want[0]}, {want[1]}, {want[2]}]")
    if y.shape != (x.shape[0],):
        raise SystemExit(f"error: labels shape {list(y.shape)}, expected [{x.shape[0]}]")
    if y.dtype.kind not in "iu" or y.min() < 0 or y.max() >= net.classes:
        raise SystemExit(f"error: labels must be integers in [0, {net.classes})")
    return x.astype(np.float32), y.astype(np.int64)


def run_step(net, weights, x, y, dtype):
    """Forward + backward in the given dtype. Returns {name: float64 numpy array} with logits, loss, *.grad."""
    params = {n: torch.tensor(w, dtype=dtype).requires_grad_(True) for n, w in weights.items()}
    xt = torch.tensor(x, dtype=dtype)
    logits = forward(net, params, xt)
    loss = F.cross_entropy(logits, torch.tensor(y, dtype=torch.int64))  # mean over the batch
    loss.backward()
    out = {"logits": logits.detach().double().numpy(), "loss": loss.detach().double().numpy().reshape(())}
    for name, _, _ in net.param_specs():
        out[f"{name}.grad"] = params[name].grad.double().numpy()
    return out


def expected_outputs(net, batch):
    return [("logits", (batch, net.classes)), ("loss", ())] + \
           [(f"{n}.grad", s) for n, s, _ in net.param_specs()]


# ----------------------------------------------------------------------------------------------
# Subcommands
# ----------------------------------------------------------------------------------------------

def cmd_input(a):
    net = NETWORKS[a.network]()
    rng = np.random.default_rng(a.seed)
    x = rng.uniform(-a.scale, a.scale, size=(a.batch, net.channels, net.size, net.size)).astype(np.float32)
    y = rng.integers(0, net.classes, size=a.batch, dtype=np.int64)
    write_safetensors(a.out, {"input": x, "labels": y},
                      {"network": net.name, "seed": a.seed, "scale": a.scale, "writer": "torch_step.py"})
    print(f"wrote {a.out}: input {list(x.shape)} uniform in [-{a.scale}, {a.scale}], labels {y.tolist()[:16]}")


def cmd_weights(a):
    net = NETWORKS[a.network]()
    rng = np.random.default_rng(a.seed)
    biases = {f"{layer.name}.bias": layer.bias for layer in net.layers}
    tensors = {}
    for name, shape, std in net.param_specs():
        if std is None:
            tensors[name] = np.full(shape, biases[name], dtype=np.float32)
        else:
            tensors[name] = (rng.standard_normal(size=shape, dtype=np.float32) * np.float32(std)).astype(np.float32)
    write_safetensors(a.out, tensors, {"network": net.name, "seed": a.seed, "writer": "torch_step.py"})
    print(f"wrote {a.out}: {sum(t.size for t in tensors.values()):,} parameters")


def cmd_step(a):
    net = NETWORKS[a.network]()
    weights = load_weights(net, a.weights)
    x, y = load_input(net, a.input)
    out = run_step(net, weights, x, y, torch.float64 if a.double else torch.float32)
    write_safetensors(a.out, {k: v.astype(np.float32) for k, v in out.items()},
                      {"network": net.name, "writer": "torch_step.py",
                       "precision": "float64" if a.double else "float32"})
    print(f"wrote {a.out}: loss {float(out['loss']):.6f} ({'float64' if a.double else 'float32'})")


def _rel(diff, ref_max):
    m = float(np.max(np.abs(diff))) if diff.size else 0.0
    if ref_max > 0:
        return m / ref_max
    return 0.0 if m == 0 else float("inf")


def cmd_compare(a):
    net = NETWORKS[a.network]()
    weights = load_weights(net, a.weights)
    x, y = load_input(net, a.input)
    got, _ = read_safetensors(a.netgen)
    t64 = run_step(net, weights, x, y, torch.float64)
    t32 = run_step(net, weights, x, y, torch.float32)
    tol = a.tolerance

    rows, failures = [], []
    names = expected_outputs(net, x.shape[0])
    for name, shape in names:
        ref = t64[name]
        ref_max = float(np.max(np.abs(ref))) if ref.size else 0.0
        r32 = _rel(t32[name] - ref, ref_max)
        if name not in got:
            rows.append((name, shape, None, r32, None, ref_max, "MISSING"))
            failures.append(f"{name}: missing from {a.netgen}")
            continue
        g = got[name]
        if tuple(g.shape) != tuple(shape):
            rows.append((name, shape, None, r32, None, ref_max, f"SHAPE {list(g.shape)}"))
            failures.append(f"{name}: shape {list(g.shape)}, expected {list(shape)}" + (" (a scalar)" if shape == () else ""))
            continue
        g = g.astype(np.float64)
        if not np.all(np.isfinite(g)):
            bad = int(np.sum(~np.isfinite(g)))
            rows.append((name, shape, float("nan"), r32, None, ref_max, f"{bad} NON-FINITE"))
            failures.append(f"{name}: {bad} non-finite values")
            continue
        diff = g - ref
        rel = _rel(diff, ref_max)
        within = float(np.mean(np.abs(diff) <= tol * ref_max)) if g.size else 1.0
        status = "ok" if rel <= tol else "FAIL"
        if rel > tol:
            failures.append(f"{name}: normwise relative error {rel:.3e} > {tol:g}")
        rows.append((name, shape, rel, r32, within, ref_max, status))

    expected = {n for n, _ in names}
    extra = sorted(n for n in got if n not in expected)

    def fmt(v):
        return "-" if v is None else f"{v:.3e}"

    print(f"{net.name}: batch {x.shape[0]}, |input| max {float(np.max(np.abs(x))):.4g}, labels {y.tolist()[:16]}")
    print(f"loss: torch64 {float(t64['loss']):.8f}  torch32 {float(t32['loss']):.8f}  "
          f"netgen {float(got['loss']) if 'loss' in got and got['loss'].size == 1 else float('nan'):.8f}")
    print(f"rel = max|x - torch64| / max|torch64| (normwise); within = fraction of elements with "
          f"|netgen - torch64| <= {tol:g} * max|torch64|")
    header = f"{'tensor':<20} {'shape':<20} {'netgen rel':>11} {'torch32 rel':>11} {'ng/t32':>8} " \
             f"{'within':>8} {'max|ref|':>10}  status"
    print(header)
    print("-" * len(header))
    for name, shape, rel, r32, within, ref_max, status in rows:
        ratio = "-" if rel is None or r32 == 0 or rel != rel else f"{rel / r32:.2g}"
        w = "-" if within is None else f"{within:.6f}"
        print(f"{name:<20} {str(list(shape)):<20} {fmt(rel):>11} {fmt(r32):>11} {ratio:>8} {w:>8} "
              f"{ref_max:>10.3e}  {status}")
    if extra:
        print(f"note: {a.netgen} also holds {', '.join(extra)} (not compared)")
    if failures:
        print(f"\nFAIL ({len(failures)} of {len(names)} tensors, tolerance {tol:g}):")
        for f in failures:
            print(f"  {f}")
        return 1
    worst = max(rows, key=lambda r: r[2])
    print(f"\nPASS: all {len(names)} tensors within {tol:g} (worst: {worst[0]} {worst[2]:.3e})")
    return 0


def lrn_numpy_paper(a, n, alpha, beta, k, columns):
    """Straight from the paper (and ALEXNET.md), window clipped to the channel's column; a: (N,C,H,W)."""
    N, C, H, W = a.shape
    per = C // columns
    b = np.empty_like(a)
    for c in range(C):
        start = c // per * per
        lo, hi = max(start, c - n // 2), min(start + per - 1, c + n // 2)
        s = np.sum(a[:, lo:hi + 1] ** 2, axis=1)
        b[:, c] = a[:, c] / (k + alpha * s) ** beta
    return b


def cmd_lrn_check(a):
    rng = np.random.default_rng(a.seed)
    lrn = Lrn(5, 1e-4, 0.75, 2.0)
    ok = True
    # activations of the size conv1 produces at --scale 128 (tens to hundreds), 96 channels, 2 columns
    act = np.maximum(rng.normal(0, 60, size=(2, 96, 7, 7)), 0)
    ref = lrn_numpy_paper(act, 5, 1e-4, 0.75, 2.0, 2)
    got = lrn_torch(torch.tensor(act, dtype=torch.float64), lrn, 2).numpy()
    err = np.max(np.abs(got - ref)) / np.max(np.abs(ref))
    print(f"torch path vs numpy paper formula (96 ch, 2 columns, float64): normwise rel {err:.3e}")
    ok &= err < 1e-12
    # one value by hand, at a column edge (channel 47: window 45..47, not 45..49)
    n_, c, i, j = 1, 47, 3, 4
    s = sum(act[n_, q, i, j] ** 2 for q in (45, 46, 47))
    hand = act[n_, c, i, j] / (2.0 + 1e-4 * s) ** 0.75
    print(f"b[1,47,3,4] by hand {hand:.12g}, torch {got[n_, c, i, j]:.12g}")
    ok &= abs(hand - got[n_, c, i, j]) <= 1e-12 * abs(hand)
    # what the other conventions would give, to show they are distinguishable
    wrong_alpha = F.local_response_norm(torch.tensor(act), 5, alpha=1e-4, beta=0.75, k=2.0).numpy()
    cross = F.local_response_norm(torch.tensor(act), 5, alpha=5e-4, beta=0.75, k=2.0).numpy()
    print(f"  torch alpha=1e-4 (alpha/n convention) differs by {np.max(np.abs(wrong_alpha - ref)) / np.max(np.abs(ref)):.3e}; "
          f"window across columns differs by {np.max(np.abs(cross - ref)) / np.max(np.abs(ref)):.3e}")
    print("LRN check:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    def net_arg(q):
        q.add_argument("--network", required=True, choices=sorted(NETWORKS), type=str.lower)

    q = sub.add_parser("input", help="write a random input batch")
    net_arg(q)
    q.add_argument("--batch", type=int, default=2)
    q.add_argument("--seed", type=int, default=1)
    q.add_argument("--scale", type=float, default=128.0)
    q.add_argument("--out", required=True)
    q.set_defaults(fn=cmd_input)

    q = sub.add_parser("weights", help="write initial weights (for self-tests)")
    net_arg(q)
    q.add_argument("--seed", type=int, default=1)
    q.add_argument("--out", required=True)
    q.set_defaults(fn=cmd_weights)

    q = sub.add_parser("step", help="torch forward + backward, written like netgen step's output")
    net_arg(q)
    q.add_argument("--weights", required=True)
    q.add_argument("--input", required=True)
    q.add_argument("--out", required=True)
    q.add_argument("--double", action="store_true", help="compute in float64 (written as F32)")
    q.set_defaults(fn=cmd_step)

    q = sub.add_parser("compare", help="diff netgen step's output against torch float64")
    net_arg(q)
    q.add_argument("--weights", required=True)
    q.add_argument("--input", required=True)
    q.add_argument("--netgen", required=True)
    q.add_argument("--tolerance", type=float, default=1e-3)
    q.set_defaults(fn=cmd_compare)

    q = sub.add_parser("lrn-check", help="check the LRN convention against the paper's formula")
    q.add_argument("--seed", type=int, default=0)
    q.set_defaults(fn=cmd_lrn_check)

    a = p.parse_args(argv)
    return a.fn(a) or 0


if __name__ == "__main__":
    sys.exit(main())
