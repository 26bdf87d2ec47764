#!/usr/bin/python3
"""Independent PyTorch reference for `netgen step` (one forward + backward pass).

Subcommands (run with /usr/bin/python3; needs only the standard library, numpy and torch):

  input   --network N --batch B --seed S --scale V --out X.safetensors
          random batch: "input" F32 (B,C,H,W) uniform in [-V, V], "labels" I64 (B) uniform classes.
  weights --network N --seed S --out W.safetensors
          initial weights as the declarations specify them (for self-tests without netgen).
  perturb-stats --weights W --seed S --out W2.safetensors
          W with every BatchNorm's running statistics replaced: running_mean N(0, 0.5^2) (std 0.5),
          running_var U(0.5, 2.0), num_batches_tracked 7; everything else (dtypes, metadata) kept.
  step    --network N --weights W --input X --out T.safetensors [--double] [--mode train|eval]
          torch forward + backward; writes "logits" (B,classes), "loss" (scalar), "<param>.grad",
          and for a network with BatchNorm every running statistic after the step under its own name.
  compare --network N --weights W --input X --netgen O.safetensors [--tolerance 1e-3] [--mode train|eval]
          [--twin MODEL.py]: step and compare take the network's generated PyTorch twin
          (netgen export N --pytorch MODEL.py) in place of the one written out below.
          diffs O against torch in float64 (the truth) and shows float32 torch's own error;
          exit 1 if any tensor is missing, misshapen, non-finite or off by more than the tolerance.
          [--tie-tolerance 1e-5]: where O holds netgen's activations (netgen step --activations), max-pool
          windows whose two largest elements float32 cannot tell apart are routed as netgen routed them
          (NearTieRoutes).
  lrn-check
          checks numerically that the LRN here is the paper's formula (alpha not divided by n),
          kept inside each column's channels.

--mode: train is model.train() (batch statistics; running statistics updated once, momentum 0.1,
unbiased variance; num_batches_tracked + 1), eval is model.eval() (running statistics, no dropout).
AlexNet and MiniAlexNet have only eval (their dropout is netgen's own draw: netgen step --no-dropout);
ResNet8 and ResNet14 default to train, as `netgen step` without --eval.

The networks are written out below by hand from Runtime/Networks/AlexNet.cs, Runtime/Networks/MiniAlexNet.cs,
ALEXNET.md and the ResNets' declarations (Runtime/Networks/ResNet8.cs, ResNet14.cs), independently of NetGen's generator.
"""

import argparse
import json
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
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
    """AlexNet and MiniAlexNet, written as functions: dropout off, so evaluation mode only."""

    modes = ("eval",)
    default_mode = "eval"

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


class ConvBn(nn.Module):
    """A convolution with no bias, then BatchNorm2d(eps=1e-5, momentum=0.1): what
    [Conv(..., Bias = false), BatchNorm] declares. State-dict names: <layer>.weight, <layer>.bn.weight,
    <layer>.bn.bias, <layer>.bn.running_mean, <layer>.bn.running_var, <layer>.bn.num_batches_tracked."""

    def __init__(self, cin, cout, kernel, stride=1, pad=0):
        super().__init__()
        self.stride, self.pad = stride, pad
        self.weight = nn.Parameter(torch.empty(cout, cin, kernel, kernel))
        self.bn = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)

    def forward(self, x):
        return self.bn(F.conv2d(x, self.weight, None, stride=self.stride, padding=self.pad))


class ResNet8Module(nn.Module):
    """Runtime/Networks/ResNet8.cs, by hand: 1 x 28 x 28 in, Round = Floor, 10 classes.

        Stem       Conv(16, 3, pad 1, no bias), BatchNorm, Relu                      28 x 28
        Block1a    Conv(16, 3, pad 1, no bias), BatchNorm, Relu                      28 x 28
        Block1b    Conv(16, 3, pad 1, no bias), BatchNorm, Add(Stem), Relu           28 x 28
        Shortcut2  Conv(32, 1, stride 2, no bias) of Block1b, BatchNorm              14 x 14
        Block2a    Conv(32, 3, stride 2, pad 1, no bias) of Block1b, BatchNorm, Relu 14 x 14
        Block2b    Conv(32, 3, pad 1, no bias), BatchNorm, Add(Shortcut2), Relu, GlobalAvgPool -> 32
        Classifier Dense(10), Softmax (folded into the loss: the logits are the Dense's output)

    A layer's output is its value after all its operations; Add adds the named layer's output after
    the BatchNorm and before the Relu; Input = nameof(X) makes the convolution read X's output."""

    def __init__(self):
        super().__init__()
        self.stem = ConvBn(1, 16, 3, pad=1)
        self.block1a = ConvBn(16, 16, 3, pad=1)
        self.block1b = ConvBn(16, 16, 3, pad=1)
        self.shortcut2 = ConvBn(16, 32, 1, stride=2)
        self.block2a = ConvBn(16, 32, 3, stride=2, pad=1)
        self.block2b = ConvBn(32, 32, 3, pad=1)
        self.classifier = nn.Linear(32, 10)

    def forward(self, x):
        stem = F.relu(self.stem(x))
        block1a = F.relu(self.block1a(stem))
        block1b = F.relu(self.block1b(block1a) + stem)
        shortcut2 = self.shortcut2(block1b)
        block2a = F.relu(self.block2a(block1b))
        block2b = F.relu(self.block2b(block2a) + shortcut2).mean(dim=(2, 3))  # GlobalAvgPool, flattened
        return self.classifier(block2b)


class ModuleNet:
    """A network written as a torch nn.Module whose state_dict() names are NetGen's tensor names."""

    modes = ("train", "eval")
    default_mode = "train"

    def __init__(self, name, channels, size, classes, build):
        self.name, self.channels, self.size, self.classes, self.build = name, channels, size, classes, build

    def initial_tensors(self, rng):
        """Init.HeNormal as NetGen's declaration gives it: conv and dense weights
        kaiming_normal_(mode='fan_in', nonlinearity='relu'), std sqrt(2 / fan_in); the dense bias its
        BiasInit, 0 (HeNormal draws no bias); BatchNorm weight 1, bias 0, running_mean 0, running_var 1,
        num_batches_tracked 0, written as netgen init writes it (F32, shape [])."""
        model = self.build()
        tensors = {}
        for name, t in model.state_dict().items():
            shape = tuple(t.shape)
            leaf = name.rsplit(".", 1)[-1]
            if ".bn." in name:
                value = {"weight": 1.0, "bias": 0.0, "running_mean": 0.0, "running_var": 1.0,
                         "num_batches_tracked": 0.0}[leaf]
                tensors[name] = np.full(shape, value, dtype=np.float32)
            elif leaf == "weight":
                fan_in = int(np.prod(shape[1:]))
                std = np.float32(np.sqrt(2.0 / fan_in))
                tensors[name] = (rng.standard_normal(size=shape, dtype=np.float32) * std).astype(np.float32)
            elif leaf == "bias":
                tensors[name] = np.zeros(shape, dtype=np.float32)
            else:
                raise AssertionError(f"no initialisation for {name}")
        return tensors


class ResNet14Module(nn.Module):
    """Runtime/Networks/ResNet14.cs, by hand: 1 x 28 x 28 in, Round = Floor, 10 classes.

        Stem       Conv(32, 3, pad 1, no bias), BatchNorm, Relu, MaxPool(2, stride 2)      14 x 14
        Block1a/b, Block2a/b   basic blocks of 32 channels, identity shortcuts            14 x 14
        Shortcut3  Conv(64, 1, stride 2) of Block2b, BatchNorm; Block3a reads Block2b    7 x 7
        Block3a/b, Block4a/b   basic blocks of 64 channels (Block3b adds Shortcut3)        7 x 7
        Shortcut5  Conv(128, 1, stride 2) of Block4b, BatchNorm; Block5a reads Block4b   4 x 4
        Block5a/b, Block6a/b   basic blocks of 128 channels (Block5b adds Shortcut5), then GlobalAvgPool
        Classifier Dense(10), Softmax (folded into the loss)"""

    STAGES = ((32, 1, 2), (64, 3, 4), (128, 5, 6))  # channels, the first and last block's number

    def __init__(self):
        super().__init__()
        self.stem = ConvBn(1, 32, 3, pad=1)
        channels_in = 32
        for channels, first, last in self.STAGES:
            for block in range(first, last + 1):
                stride = 2 if block == first and channels != channels_in else 1
                if stride == 2:
                    setattr(self, f"shortcut{block}", ConvBn(channels_in, channels, 1, stride=2))
                setattr(self, f"block{block}a", ConvBn(channels_in, channels, 3, stride=stride, pad=1))
                setattr(self, f"block{block}b", ConvBn(channels, channels, 3, pad=1))
                channels_in = channels
        self.classifier = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.stem(x)), 2, stride=2)
        for _, first, last in self.STAGES:
            for block in range(first, last + 1):
                shortcut = getattr(self, f"shortcut{block}", None)
                identity = x if shortcut is None else shortcut(x)
                a = F.relu(getattr(self, f"block{block}a")(x))
                x = F.relu(getattr(self, f"block{block}b")(a) + identity)
        return self.classifier(x.mean(dim=(2, 3)))  # GlobalAvgPool, flattened


def resnet8():
    return ModuleNet("resnet8", 1, 28, 10, ResNet8Module)


def resnet14():
    return ModuleNet("resnet14", 1, 28, 10, ResNet14Module)


NETWORKS = {"alexnet": alexnet, "minialexnet": minialexnet, "resnet8": resnet8, "resnet14": resnet14}


def twin(path, name):
    """The network as its generated PyTorch twin (`netgen export <network> --pytorch model.py`) in
    place of the one written out here: the module's nn.Module class, whose state_dict() names are
    NetGen's, as a ModuleNet (train and eval modes; its dropout is torch's, so use eval or a network
    without dropout)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(f"netgen_twin_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    classes = [v for v in vars(module).values()
               if isinstance(v, type) and issubclass(v, nn.Module) and v.__module__ == module.__name__ and hasattr(v, "input_shape")]
    if len(classes) != 1:
        raise SystemExit(f"error: {path} holds {len(classes)} generated networks (nn.Module classes with input_shape), not one")
    cls = classes[0]
    channels, height, width = cls.input_shape
    if height != width:
        raise SystemExit(f"error: {path}: {cls.__name__} reads {height} x {width} images; this script takes square ones")
    linears = [m for m in cls().modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise SystemExit(f"error: {path}: {cls.__name__} ends without a dense layer, so its classes are unknown here")
    return ModuleNet(name, channels, height, linears[-1].out_features, cls)


def network(a):
    """--network's reference: written out here, or its generated twin with --twin."""
    return twin(a.twin, a.network) if getattr(a, "twin", None) else NETWORKS[a.network]()

STAT_SUFFIXES = (".running_mean", ".running_var", ".num_batches_tracked")


def is_stat(name):
    return name.endswith(STAT_SUFFIXES)


def lrn_torch(x, lrn, columns):
    """LRN within each column's channels. torch's local_response_norm divides alpha by the size
    (it averages the squares with avg_pool3d), so the paper's alpha is passed as alpha * n."""
    parts = torch.chunk(x, columns, dim=1) if columns > 1 else (x,)
    out = [F.local_response_norm(p, lrn.n, alpha=lrn.alpha * lrn.n, beta=lrn.beta, k=lrn.k) for p in parts]
    return torch.cat(out, dim=1) if columns > 1 else out[0]


def pool_input_name(c):
    """What `netgen step --activations` calls the tensor a conv layer's max pool reads."""
    return f"activation.{c.name}.lrn" if c.lrn is not None else f"activation.{c.name}"


def forward(net, params, x, route=None):
    """Dropout off (eval). Returns the logits (fc8 before softmax).
    route(conv, pool_input, indices) -> indices, if given, may change which element of each max-pool
    window an output takes (flat indices into each H x W plane, as max_pool2d's return_indices):
    the output is then that element, and its gradient goes there (see near_tie_routes)."""
    for c in net.convs:
        x = F.conv2d(x, params[f"{c.name}.weight"], params[f"{c.name}.bias"], stride=c.stride,
                     padding=c.pad, groups=c.groups)
        x = F.relu(x)
        if c.lrn is not None:
            x = lrn_torch(x, c.lrn, net.columns)
        if c.pool is not None:
            w, s, ceil = c.pool
            if route is None:
                x = F.max_pool2d(x, w, stride=s, ceil_mode=ceil)
            else:
                _, idx = F.max_pool2d(x.detach(), w, stride=s, ceil_mode=ceil, return_indices=True)
                idx = route(c, x.detach(), idx)
                x = x.flatten(2).gather(2, idx.flatten(2)).view(idx.shape)
    x = x.reshape(x.shape[0], -1)  # NCHW flatten
    for d in net.denses:
        if x.shape[1] != d.fin:
            raise ValueError(f"{d.name}: expected {d.fin} inputs, got {x.shape[1]}")
        x = F.linear(x, params[f"{d.name}.weight"], params[f"{d.name}.bias"])
        if d.relu:
            x = F.relu(x)
    return x


def load_weights(net, path):
    """{name: numpy array}: the parameters (Net), or the whole state_dict (ModuleNet: float32
    tensors, num_batches_tracked as int64), checked by load_state_dict(strict=True)."""
    if isinstance(net, ModuleNet):
        return load_module_state(net, path)
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


def load_module_state(net, path):
    tensors, _ = read_safetensors(path)
    state, problems = {}, []
    for name, a in tensors.items():
        if name.startswith("momentum."):
            continue  # the optimiser's state in a run's checkpoint
        if name.endswith(".num_batches_tracked"):
            # NetGen writes it as an F32 scalar, torch as I64: either, if it is a whole number >= 0
            v = a.astype(np.float64)
            if a.dtype.kind not in "fiu" or not np.all(np.isfinite(v)) or np.any(v != np.round(v)) or np.any(v < 0):
                problems.append(f"{name}: {a.dtype} {v.ravel()[:4].tolist()} is not a count")
                continue
            state[name] = v.astype(np.int64)
        elif a.dtype.kind != "f":
            problems.append(f"{name}: dtype {a.dtype}, expected a float")
        else:
            state[name] = a.astype(np.float32)
    # exact shapes first: load_state_dict would take a [1] for a scalar such as num_batches_tracked
    model_shapes = {n: tuple(t.shape) for n, t in net.build().state_dict().items()}
    for name, v in state.items():
        if name in model_shapes and tuple(v.shape) != model_shapes[name]:
            problems.append(f"{name}: shape {list(v.shape)}, expected {list(model_shapes[name])}"
                            + (" (a scalar)" if model_shapes[name] == () else ""))
    if problems:
        raise SystemExit(f"error: {path}:\n  " + "\n  ".join(problems))
    try:
        net.build().load_state_dict({n: torch.from_numpy(v.copy()) for n, v in state.items()}, strict=True)
    except RuntimeError as e:
        raise SystemExit(f"error: {path} does not hold {net.name}'s state_dict (load_state_dict, strict):\n{e}")
    return state


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


def run_step(net, weights, x, y, dtype, mode="eval", route=None):
    """Forward + backward in the given dtype. Returns {name: float64 numpy array} with logits, loss,
    *.grad, and for a ModuleNet every buffer (running statistics) as it stands after the step.
    route: see forward (Net only)."""
    if isinstance(net, ModuleNet):
        return run_module_step(net, weights, x, y, dtype, mode)
    params = {n: torch.tensor(w, dtype=dtype).requires_grad_(True) for n, w in weights.items()}
    xt = torch.tensor(x, dtype=dtype)
    logits = forward(net, params, xt, route)
    loss = F.cross_entropy(logits, torch.tensor(y, dtype=torch.int64))  # mean over the batch
    loss.backward()
    out = {"logits": logits.detach().double().numpy(), "loss": loss.detach().double().numpy().reshape(())}
    for name, _, _ in net.param_specs():
        out[f"{name}.grad"] = params[name].grad.double().numpy()
    return out


class NearTieRoutes:
    """The reference's max-pool routes, with near ties settled as netgen settled them.

    Where the two largest elements of a max-pool window differ by less than float32 can resolve
    after a long sum (AlexNet, seeds 1 and 2: conv5's pool, image 0, channel 221, output (2, 4),
    whose elements (4, 10) and (6, 9) are 0.97095471969 and 0.97095471642 in float64, 3.3e-9 apart,
    a twentieth of float32's spacing there), which element wins is rounding: netgen's CPU backend
    computed the second 2.4e-7 higher than the first, PyTorch's float32 the other way round. The whole
    output gradient of that window then lands on another pixel, and every conv weight gradient
    upstream moves by about 1e-2 of its size: a different, equally valid subgradient, not an error.
    So where netgen's pool input (`netgen step --activations`) takes another element than float64's
    maximum, and float64 puts that element within tie_tolerance * max|pool input| of the maximum,
    the reference takes netgen's element (its value, and its gradient). Its forward value then moves
    by at most that gap. Larger differences are left alone and listed: they are netgen's."""

    def __init__(self, got, tie_tolerance):
        self.got, self.tie_tolerance = got, tie_tolerance
        self.rerouted, self.kept, self.absent = [], [], []
        self.chosen = {}  # conv name -> the indices the reference took, where it took netgen's somewhere

    def same(self, c, xin, idx):
        """For float32 torch: the routes the float64 reference took (its own where none changed)."""
        return self.chosen.get(c.name, idx)

    def __call__(self, c, xin, idx):
        name = pool_input_name(c)
        a = self.got.get(name)
        if a is None or tuple(a.shape) != tuple(xin.shape):
            self.absent.append(name)
            return idx
        w, s, ceil = c.pool
        _, theirs = F.max_pool2d(torch.from_numpy(a.astype(np.float64)), w, stride=s, ceil_mode=ceil,
                                 return_indices=True)
        differ = theirs != idx
        if not bool(differ.any()):
            return idx
        flat = xin.flatten(2)
        gap = (flat.gather(2, idx.flatten(2)) - flat.gather(2, theirs.flatten(2))).view(idx.shape)
        scale = float(xin.abs().max())
        near = differ & (gap <= self.tie_tolerance * scale)
        width = xin.shape[3]
        for n, ch, oy, ox in differ.nonzero().tolist():
            r, t, g = int(idx[n, ch, oy, ox]), int(theirs[n, ch, oy, ox]), float(gap[n, ch, oy, ox])
            entry = (f"{c.name} pool: image {n}, channel {ch}, output ({oy}, {ox}): netgen took "
                     f"({t // width}, {t % width}), float64's maximum is ({r // width}, {r % width}), "
                     f"{g:.3g} above it in float64 ({g / scale:.3g} of max|{name}| {scale:.4g})")
            (self.rerouted if bool(near[n, ch, oy, ox]) else self.kept).append(entry)
        if not bool(near.any()):
            return idx
        self.chosen[c.name] = torch.where(near, theirs, idx)
        return self.chosen[c.name]


def run_module_step(net, state, x, y, dtype, mode):
    model = net.build()
    model.load_state_dict({n: torch.from_numpy(v.copy()) for n, v in state.items()}, strict=True)
    model.to(dtype)  # floating-point parameters and buffers; num_batches_tracked stays int64
    model.train(mode == "train")
    logits = model(torch.tensor(x, dtype=dtype))
    loss = F.cross_entropy(logits, torch.tensor(y, dtype=torch.int64))  # mean over the batch
    loss.backward()
    out = {"logits": logits.detach().double().numpy(), "loss": loss.detach().double().numpy().reshape(())}
    for name, p in model.named_parameters():
        out[f"{name}.grad"] = p.grad.double().numpy()
    for name, b in model.named_buffers():
        out[name] = b.detach().double().numpy()
    return out


def expected_outputs(net, batch):
    if isinstance(net, ModuleNet):
        model = net.build()
        return [("logits", (batch, net.classes)), ("loss", ())] + \
               [(f"{n}.grad", tuple(p.shape)) for n, p in model.named_parameters()] + \
               [(n, tuple(b.shape)) for n, b in model.named_buffers()]
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


def resolve_mode(net, mode):
    mode = mode or net.default_mode
    if mode not in net.modes:
        raise SystemExit(f"error: {net.name} has no --mode {mode} here (only {', '.join(net.modes)}): its dropout "
                         f"is netgen's own draw, so compare it with `netgen step --no-dropout` and --mode eval")
    return mode


def cmd_weights(a):
    net = NETWORKS[a.network]()
    rng = np.random.default_rng(a.seed)
    if isinstance(net, ModuleNet):
        tensors = net.initial_tensors(rng)
        write_safetensors(a.out, tensors, {"network": net.name, "seed": a.seed, "writer": "torch_step.py"})
        print(f"wrote {a.out}: {sum(t.size for n, t in tensors.items() if not is_stat(n)):,} parameters, "
              f"{sum(1 for n in tensors if is_stat(n))} running statistics")
        return
    biases = {f"{layer.name}.bias": layer.bias for layer in net.layers}
    tensors = {}
    for name, shape, std in net.param_specs():
        if std is None:
            tensors[name] = np.full(shape, biases[name], dtype=np.float32)
        else:
            tensors[name] = (rng.standard_normal(size=shape, dtype=np.float32) * np.float32(std)).astype(np.float32)
    write_safetensors(a.out, tensors, {"network": net.name, "seed": a.seed, "writer": "torch_step.py"})
    print(f"wrote {a.out}: {sum(t.size for t in tensors.values()):,} parameters")


def cmd_perturb_stats(a):
    """Running statistics that are not the initial ones, so that evaluation mode is tested with them."""
    tensors, meta = read_safetensors(a.weights)
    rng = np.random.default_rng(a.seed)
    out, changed = {}, []
    for name, t in tensors.items():
        if name.endswith(".running_mean"):
            t = rng.normal(0.0, 0.5, size=t.shape).astype(t.dtype)
        elif name.endswith(".running_var"):
            t = rng.uniform(0.5, 2.0, size=t.shape).astype(t.dtype)
        elif name.endswith(".num_batches_tracked"):
            t = np.full(t.shape, 7, dtype=t.dtype)  # F32 as netgen writes it, or I64 as torch does
        else:
            out[name] = t
            continue
        out[name] = t
        changed.append(name)
    if not changed:
        raise SystemExit(f"error: {a.weights} has no running statistics (*.running_mean, *.running_var, "
                         f"*.num_batches_tracked)")
    meta = dict(meta)
    meta["perturbed_stats"] = f"seed {a.seed}: running_mean N(0, 0.5^2), running_var U(0.5, 2), num_batches_tracked 7"
    write_safetensors(a.out, out, meta)
    print(f"wrote {a.out}: {len(changed)} running statistics replaced (seed {a.seed})")


def cmd_step(a):
    net = network(a)
    mode = resolve_mode(net, a.mode)
    weights = load_weights(net, a.weights)
    x, y = load_input(net, a.input)
    out = run_step(net, weights, x, y, torch.float64 if a.double else torch.float32, mode)
    # F32 throughout, num_batches_tracked included (an F32 scalar, as netgen writes it)
    write_safetensors(a.out, {k: v.astype(np.float32) for k, v in out.items()},
                      {"network": net.name, "writer": "torch_step.py", "mode": mode,
                       "precision": "float64" if a.double else "float32"})
    print(f"wrote {a.out}: loss {float(out['loss']):.6f} ({'float64' if a.double else 'float32'}, mode {mode})")


def _rel(diff, ref_max):
    m = float(np.max(np.abs(diff))) if diff.size else 0.0
    if ref_max > 0:
        return m / ref_max
    return 0.0 if m == 0 else float("inf")


def cmd_compare(a):
    net = network(a)
    mode = resolve_mode(net, a.mode)
    weights = load_weights(net, a.weights)
    x, y = load_input(net, a.input)
    got, _ = read_safetensors(a.netgen)
    routes = None
    if isinstance(net, Net) and any(c.pool is not None for c in net.convs):
        routes = NearTieRoutes(got, a.tie_tolerance)
    t64 = run_step(net, weights, x, y, torch.float64, mode, routes)
    # float32 torch shows what float32 can do on the same problem: the routes the reference took
    t32 = run_step(net, weights, x, y, torch.float32, mode, routes.same if routes is not None and routes.chosen else None)
    tol = a.tolerance

    rows, failures = [], []
    names = expected_outputs(net, x.shape[0])
    for name, shape in names:
        ref = t64[name]
        if is_stat(name):
            # A running statistic is held to the size of the step's change: 0.9 old + 0.1 batch
            # hides the batch term in the old value (biased against unbiased variance is 1/(n-1)
            # of 0.1 var). Unchanged in eval mode: then any difference at all fails.
            ref_max = float(np.max(np.abs(ref - weights[name].astype(np.float64)))) if ref.size else 0.0
        else:
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
        if name.endswith(".num_batches_tracked"):  # a count: exactly
            rel = 0.0 if np.all(diff == 0) else float("inf")
            within = 1.0 if rel == 0 else 0.0
            if rel != 0:
                failures.append(f"{name}: {g.ravel().tolist()}, expected {ref.ravel().tolist()} "
                                f"(before the step: {weights[name].ravel().tolist()}, mode {mode})")
            rows.append((name, shape, rel, r32, within, ref_max, "ok" if rel == 0 else "FAIL"))
            continue
        rel = _rel(diff, ref_max)
        within = float(np.mean(np.abs(diff) <= tol * ref_max)) if g.size else 1.0
        status = "ok" if rel <= tol else "FAIL"
        if rel > tol:
            failures.append(f"{name}: normwise relative error {rel:.3e} > {tol:g}" + (
                "" if not is_stat(name) else " (relative to the step's change)" if ref_max > 0 else
                " (it must come back unchanged)"))
        rows.append((name, shape, rel, r32, within, ref_max, status))

    expected = {n for n, _ in names}
    extra = sorted(n for n in got if n not in expected and not n.startswith("activation."))
    activations = sum(1 for n in got if n.startswith("activation."))

    def fmt(v):
        return "-" if v is None else f"{v:.3e}"

    print(f"{net.name}: mode {mode}, batch {x.shape[0]}, |input| max {float(np.max(np.abs(x))):.4g}, labels {y.tolist()[:16]}")
    print(f"loss: torch64 {float(t64['loss']):.8f}  torch32 {float(t32['loss']):.8f}  "
          f"netgen {float(got['loss']) if 'loss' in got and got['loss'].size == 1 else float('nan'):.8f}")
    print(f"rel = max|x - torch64| / max|torch64| (normwise); within = fraction of elements with "
          f"|netgen - torch64| <= {tol:g} * max|torch64|")
    if any(is_stat(n) for n, _ in names):
        print("running_mean, running_var: max|torch64| is replaced by max|torch64 - before the step| (the step's "
              "change; 0 in eval mode, where any difference fails); num_batches_tracked must match exactly")
    width = max(20, max(len(n) for n, _ in names))
    header = f"{'tensor':<{width}} {'shape':<20} {'netgen rel':>11} {'torch32 rel':>11} {'ng/t32':>8} " \
             f"{'within':>8} {'max|ref|':>10}  status"
    print(header)
    print("-" * len(header))
    for name, shape, rel, r32, within, ref_max, status in rows:
        ratio = "-" if rel is None or r32 == 0 or rel != rel else f"{rel / r32:.2g}"
        w = "-" if within is None else f"{within:.6f}"
        print(f"{name:<{width}} {str(list(shape)):<20} {fmt(rel):>11} {fmt(r32):>11} {ratio:>8} {w:>8} "
              f"{ref_max:>10.3e}  {status}")
    if extra:
        print(f"note: {a.netgen} also holds {', '.join(extra)} (not compared)")
    if activations:
        print(f"note: {a.netgen} also holds {activations} activations and their gradients (netgen step "
              f"--activations): not compared; the max pools' inputs among them settle near ties")
    if routes is not None:
        if routes.absent:
            print(f"note: no {', '.join(sorted(set(routes.absent)))} in {a.netgen} (netgen step --activations): "
                  f"max-pool near ties not settled as netgen settled them, the reference keeps float64's routes")
        if routes.rerouted:
            print(f"near ties ({len(routes.rerouted)} max-pool windows, float64 gap <= {a.tie_tolerance:g} of the "
                  f"pool input's max): the reference (and torch32) take netgen's element, as float32 cannot "
                  f"tell them apart")
            for r in routes.rerouted[:20]:
                print(f"  {r}")
        if routes.kept:
            print(f"max-pool windows where netgen took another element, too far below the maximum to be a near "
                  f"tie ({len(routes.kept)}; the reference keeps float64's):")
            for r in routes.kept[:20]:
                print(f"  {r}")
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

    def twin_arg(q):
        q.add_argument("--twin", default=None, metavar="MODEL.py",
                       help="use the network's generated PyTorch twin (netgen export --pytorch) instead of the one written out here")

    def mode_arg(q):
        q.add_argument("--mode", choices=("train", "eval"), type=str.lower, default=None,
                       help="train: model.train() (batch statistics, running statistics updated); eval: model.eval(). "
                            "Default: the network's (eval for AlexNet and MiniAlexNet, which have no other; train for ResNet8)")

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
    mode_arg(q)
    twin_arg(q)
    q.set_defaults(fn=cmd_step)

    q = sub.add_parser("compare", help="diff netgen step's output against torch float64")
    net_arg(q)
    q.add_argument("--weights", required=True)
    q.add_argument("--input", required=True)
    q.add_argument("--netgen", required=True)
    q.add_argument("--tolerance", type=float, default=1e-3)
    q.add_argument("--tie-tolerance", type=float, default=1e-5,
                   help="max-pool near ties: where netgen's output holds its activations (netgen step --activations) "
                        "and its pool took an element that float64 puts within this fraction of the pool input's "
                        "max below the window's maximum, the reference takes that element too (default 1e-5; 0: exact ties only)")
    mode_arg(q)
    twin_arg(q)
    q.set_defaults(fn=cmd_compare)

    q = sub.add_parser("perturb-stats", help="replace every BatchNorm's running statistics (to test eval mode)")
    q.add_argument("--weights", required=True)
    q.add_argument("--seed", type=int, default=1)
    q.add_argument("--out", required=True)
    q.set_defaults(fn=cmd_perturb_stats)

    q = sub.add_parser("lrn-check", help="check the LRN convention against the paper's formula")
    q.add_argument("--seed", type=int, default=0)
    q.set_defaults(fn=cmd_lrn_check)

    a = p.parse_args(argv)
    return a.fn(a) or 0


if __name__ == "__main__":
    sys.exit(main())
