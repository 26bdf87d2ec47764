#!/usr/bin/python3
"""PyTorch throughput reference for NetGen's AlexNet, MiniAlexNet, ResNet8 and ResNet14, on the CPU
or (--device cuda) on a GPU with cuDNN.

Usage (run with /usr/bin/python3: Debian's python3-torch; the pyenv python3 on PATH has no torch):

  torch_bench.py <alexnet|minialexnet|resnet8|resnet14> [--batch B] [--threads 2] [--warmup W] [--iters N]
                 [--device cpu|cuda] [--tf32] [--json]

    --batch    images per batch (default 16 for alexnet, 64 for minialexnet, 128 for the resnets)
    --threads  torch.set_num_threads (default 2, the machine's core count)
    --warmup   untimed iterations first (default 2 for alexnet, 3 for minialexnet)
    --iters    timed iterations; the median is reported (default 5 for alexnet, 20 for minialexnet)
    --keep-memory
               tell glibc malloc never to return freed memory to the kernel (see below)
    --device   cpu (default) or cuda: the first CUDA GPU, with torch.backends.cudnn.benchmark = True
               (cuDNN picks each convolution's fastest algorithm during the warm-up) and every timed
               call closed by torch.cuda.synchronize()
    --tf32     on cuda, let cuDNN's convolutions and cuBLAS's products use TF32 tensor cores
               (torch.backends.cudnn.allow_tf32 and torch.backends.cuda.matmul.allow_tf32); without
               it both are switched off, so the GPU computes in true FP32 as NetGen's kernels do
               (PyTorch's own default allows TF32 in convolutions)
    --json     print exactly one JSON object on stdout (the environment report goes to stderr) with
               forward_images_per_second, train_images_per_second, forward_ms, train_ms, batch,
               threads, torch, blas, network, plus forward_gflops, train_gflops,
               macs_per_image, warmup, iters, conv_backend, malloc, device, device_name, tf32, cudnn

Two things are timed on random float32 input (uniform in [-1, 1]) with random labels:
  forward  eval mode under torch.no_grad() (dropout off);
  train    train mode: forward, mean cross-entropy, backward and
           torch.optim.SGD(lr=0.01, momentum=0.9, weight_decay=0.0005).step() (for the resnets,
           with nesterov=True, their recipe's; batch normalisation on the batch's statistics).
GFLOP/s counts 2 FLOPs per multiply-add of the convolutions and dense layers only (AlexNet:
724,406,816 per image); a training step is counted as 3x the forward pass, the usual convention
(conv1 needs no input gradient, so the true count is a little lower).

Memory: with glibc's default malloc every buffer over 32 MiB is a fresh mmap, freed back to the
kernel at once, so each training step page-faults in new copies of AlexNet's big tensors (fc6's
151 MB weight gradient, the temporaries of SGD's weight decay): on two cores that can cost more
than the arithmetic. That is what plain PyTorch does and what is measured by default. --keep-memory
(mallopt M_MMAP_MAX=0 and a large M_TRIM_THRESHOLD; roughly what the jemalloc or tcmalloc that
PyTorch's CPU tuning advice recommends would give) measures the compute without that overhead, like a framework whose
buffers are allocated once. The JSON's "malloc" says which was used.

The networks are the ones torch_step.py writes out by hand from Runtime/Networks/*.cs; this script only
wraps them in an nn.Module, so the optimizer and dropout behave as in ordinary PyTorch training.

Examples:
  /usr/bin/python3 benchmarks/reference/torch_bench.py alexnet --batch 16 --json
  /usr/bin/python3 benchmarks/reference/torch_bench.py minialexnet --batch 64
  python3 benchmarks/reference/torch_bench.py alexnet --batch 128 --device cuda --tf32 --json
"""

import argparse
import ctypes
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_step  # noqa: E402  (the network specs, the paper's LRN and the reference forward pass)

# Dropout after the ReLU of every dense layer but the last, as declared (Runtime/Networks/AlexNet.cs: 0.5f,
# Runtime/Networks/MiniAlexNet.cs: 0.3f); torch_step.py's specs leave it out because its gradient check runs
# with dropout off.
DROPOUT = {"alexnet": 0.5, "minialexnet": 0.3}

# Multiply-adds per image as NetGen counts them (AlexNet.MultiplyAdds, `netgen shapes alexnet`,
# Tests/ShapeTests.cs). The count taken from the layer shapes must agree, which catches a spec in
# torch_step.py drifting from the network NetGen's numbers are computed for. (MiniAlexNet's count,
# 15,194,624, matches its generated MultiplyAdds as well, but has no figure fixed in the docs.)
ALEXNET_MACS = 724_406_816

DEFAULTS = {  # network: (batch, warmup, iters)
    "alexnet": (16, 2, 5),
    "minialexnet": (64, 3, 20),
    "resnet8": (128, 3, 20),
    "resnet14": (128, 3, 20),
}


class BenchNet(nn.Module):
    """torch_step's Net spec as an nn.Module: the same layers in the same order, plus dropout."""

    def __init__(self, spec, seed=1):
        super().__init__()
        self.spec, self.dropout = spec, DROPOUT[spec.name]
        self.convs = nn.ModuleList(
            nn.Conv2d(c.cin, c.cout, c.kernel, stride=c.stride, padding=c.pad, groups=c.groups)
            for c in spec.convs)
        self.denses = nn.ModuleList(nn.Linear(d.fin, d.fout) for d in spec.denses)
        # The declared initialisation, not torch's default: the magnitude of the activations decides
        # how many values ReLU zeroes and whether anything drifts into denormals, both of which can
        # move CPU timings.
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for layer, module in zip(spec.layers, list(self.convs) + list(self.denses)):
                module.weight.normal_(0.0, layer.std, generator=g)
                module.bias.fill_(layer.bias)

    def forward(self, x):
        for c, conv in zip(self.spec.convs, self.convs):
            x = F.relu(conv(x))
            if c.lrn is not None:
                x = torch_step.lrn_torch(x, c.lrn, self.spec.columns)
            if c.pool is not None:
                window, stride, ceil = c.pool
                x = F.max_pool2d(x, window, stride=stride, ceil_mode=ceil)
        x = x.reshape(x.shape[0], -1)  # NCHW flatten, as torch_step and NetGen do
        for d, dense in zip(self.spec.denses, self.denses):
            x = dense(x)
            if d.relu:
                x = F.dropout(F.relu(x), self.dropout, self.training)
        return x

    def reference_params(self):
        """The parameters under torch_step's names, for its functional forward()."""
        names = [n for n, _, _ in self.spec.param_specs()]
        tensors = [t for m in list(self.convs) + list(self.denses) for t in (m.weight, m.bias)]
        return dict(zip(names, tensors))


def count_macs_and_check(model):
    """Multiply-adds per image from the shapes seen in a one-image eval pass, which is also checked
    against torch_step.forward so that the timed module is the network the gradient check uses."""
    spec = model.spec
    macs = []

    def conv_hook(m, inp, out):
        in_c, kh, kw = m.in_channels, m.kernel_size[0], m.kernel_size[1]
        macs.append(out[0].numel() * (in_c // m.groups) * kh * kw)

    def linear_hook(m, inp, out):
        macs.append(m.in_features * m.out_features)

    hooks = [c.register_forward_hook(conv_hook) for c in model.convs]
    hooks += [d.register_forward_hook(linear_hook) for d in model.denses]
    x = torch.empty(1, spec.channels, spec.size, spec.size).uniform_(-1, 1)
    model.eval()
    try:
        with torch.no_grad():
            ours = model(x)
            ref = torch_step.forward(spec, model.reference_params(), x)
    finally:
        for h in hooks:  # hooks must not stay in the timed loops
            h.remove()
    if not torch.allclose(ours, ref, rtol=1e-5, atol=1e-6):
        raise SystemExit(f"error: BenchNet and torch_step.forward disagree on {spec.name} "
                         f"(max diff {float((ours - ref).abs().max()):.3e})")
    total = sum(macs)
    if spec.name == "alexnet" and total != ALEXNET_MACS:
        raise SystemExit(f"error: AlexNet counts {total:,} multiply-adds per image, expected {ALEXNET_MACS:,}")
    return total


def module_net(spec, seed):
    """A torch_step.ModuleNet's module (the ResNets), with the declared He initialisation, and its
    multiply-adds per image as NetGen counts them: each convolution's and dense layer's products
    (batch normalisation's one per value is left out of the GFLOP/s, as the convolutions dominate)."""
    model = spec.build()
    tensors = spec.initial_tensors(np.random.default_rng(seed))
    model.load_state_dict({k: torch.from_numpy(v).to(model.state_dict()[k].dtype) for k, v in tensors.items()})
    macs = []

    def conv_hook(m, inp, out):
        macs.append(out[0].numel() * m.weight[0].numel())

    def linear_hook(m, inp, out):
        macs.append(m.in_features * m.out_features)

    hooks = [m.register_forward_hook(conv_hook) for m in model.modules() if isinstance(m, (torch_step.ConvBn, nn.Conv2d))]
    hooks += [m.register_forward_hook(linear_hook) for m in model.modules() if isinstance(m, nn.Linear)]
    model.eval()
    try:
        with torch.no_grad():
            model(torch.empty(1, spec.channels, spec.size, spec.size).uniform_(-1, 1))
    finally:
        for h in hooks:
            h.remove()
    return model, sum(macs)


def environment():
    """torch version, its BLAS/oneDNN build settings, and which BLAS library is actually mapped.
    Debian builds torch against the generic libblas.so.3, so BLAS_INFO says only "generic" and the
    library that runs is whatever the alternatives system points at: the process maps say which."""
    a = torch.randn(256, 256)
    (a @ a).sum().item()  # make sure the BLAS library is loaded and initialised before looking

    config = []
    for line in torch.__config__.show().splitlines():
        line = line.strip(" -")
        if line.startswith("Build settings:"):
            # One very long line; keep only the settings that say which libraries do the math.
            keep = ("BLAS_INFO", "LAPACK_INFO", "USE_MKLDNN", "USE_OPENMP", "USE_NNPACK")
            pairs = [p.strip() for p in line.split(":", 1)[1].split(",")]
            config.append(", ".join(p for p in pairs if p.split("=")[0] in keep))
        elif any(k in line for k in ("BLAS", "MKL", "LAPACK", "OpenMP")):
            config.append(line)

    try:
        with open("/proc/self/maps") as f:
            libs = sorted({ln.split()[-1] for ln in f if ".so" in ln})
    except OSError:
        libs = []
    blas_libs = [p for p in libs if any(k in os.path.basename(p) for k in ("blas", "mkl_", "lapack"))]
    if any("libopenblas" in os.path.basename(p) for p in libs):
        blas = "openblas"
    elif any("libmkl" in os.path.basename(p) for p in libs):
        blas = "mkl"
    elif any(os.path.basename(p).startswith("libblas.so") for p in libs):
        blas = "reference"  # netlib's libblas: unblocked loops, an order of magnitude slower on matmuls
    else:
        blas = "unknown"

    return {"torch": torch.__version__, "config": config, "blas": blas, "blas_libs": blas_libs}


def conv_backend(model, x):
    """Which kernels the convolutions really run on: torch picks per call (oneDNN for float32 with
    batch > 1; for batch 1 some layers fall back to its own im2col + BLAS), so a build flag is not
    enough. The dense layers always go to BLAS sgemm (aten::addmm)."""
    model.eval()
    with torch.no_grad(), torch.autograd.profiler.profile() as prof:
        model(x)
    names = {e.name for e in prof.function_events}
    used = [label for label, op in (("onednn", "aten::mkldnn_convolution"),
                                    ("native", "aten::_slow_conv2d_forward"),
                                    ("cudnn", "aten::cudnn_convolution")) if op in names]
    return "+".join(used) or "other"


def keep_freed_memory():
    """glibc: serve every allocation from the heap (no per-buffer mmap) and never trim it, so freed
    pages stay mapped and are reused without page faults. Must run before the big allocations."""
    M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4  # from glibc's <malloc.h>
    try:
        libc = ctypes.CDLL(None)
        ok = libc.mallopt(M_MMAP_MAX, 0) == 1 and libc.mallopt(M_TRIM_THRESHOLD, 2**31 - 1) == 1
    except (OSError, AttributeError):  # not glibc
        ok = False
    if not ok:
        raise SystemExit("error: --keep-memory needs glibc's mallopt")


def time_loop(fn, warmup, iters, sync=lambda: None):
    """Seconds per call: warm-up calls are discarded (allocator, oneDNN primitive creation, page
    faults on fresh buffers; on a GPU cuDNN's algorithm search); the median of the rest resists the
    noise of a shared 2-core machine. sync waits for the device (torch.cuda.synchronize) before
    each clock is read, so a GPU's queued work is timed, not its launch."""
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def bench(network, batch, warmup, iters, seed=1, device="cpu", twin=None):
    spec = torch_step.twin(twin, network) if twin else torch_step.NETWORKS[network]()
    modular = isinstance(spec, torch_step.ModuleNet)
    if modular:
        model, macs = module_net(spec, seed)
    else:
        model = BenchNet(spec, seed=seed)
        macs = count_macs_and_check(model)

    g = torch.Generator().manual_seed(seed + 1)
    x = torch.empty(batch, spec.channels, spec.size, spec.size).uniform_(-1, 1, generator=g)
    y = torch.randint(0, spec.classes, (batch,), generator=g)
    # The checks above ran on the CPU; the timed model and batch live on the device.
    model, x, y = model.to(device), x.to(device), y.to(device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    backend = conv_backend(model, x)  # also serves as an extra, untimed warm-up pass
    model.eval()

    def forward():
        with torch.no_grad():
            model(x)

    fwd, fwd_all = time_loop(forward, warmup, iters, sync)

    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=0.0005, nesterov=modular)

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    trn, trn_all = time_loop(train_step, warmup, iters, sync)

    fwd_flops = 2.0 * macs * batch
    return {
        "network": network,
        "batch": batch,
        "macs_per_image": macs,
        "conv_backend": backend,
        "forward_ms": fwd * 1e3,
        "train_ms": trn * 1e3,
        "forward_images_per_second": batch / fwd,
        "train_images_per_second": batch / trn,
        "forward_gflops": fwd_flops / fwd / 1e9,
        "train_gflops": 3.0 * fwd_flops / trn / 1e9,
        "forward_ms_all": [t * 1e3 for t in fwd_all],
        "train_ms_all": [t * 1e3 for t in trn_all],
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("network", choices=sorted(DEFAULTS), type=str.lower)
    p.add_argument("--batch", type=int)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int)
    p.add_argument("--iters", type=int)
    p.add_argument("--seed", type=int, default=1, help="weights, input and labels (default 1)")
    p.add_argument("--keep-memory", action="store_true",
                   help="glibc malloc keeps freed memory instead of unmapping it (default: plain PyTorch)")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="cpu (default) or cuda (the first GPU, cuDNN with cudnn.benchmark)")
    p.add_argument("--tf32", action="store_true",
                   help="on cuda: TF32 tensor cores in convolutions and matrix products (default: true FP32)")
    p.add_argument("--twin", metavar="MODEL.py",
                   help="time the network's generated PyTorch twin (netgen export NETWORK --pytorch MODEL.py), "
                        "He-initialised, instead of the model written out in torch_step.py")
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)

    batch, warmup, iters = (v if v is not None else d
                            for v, d in zip((a.batch, a.warmup, a.iters), DEFAULTS[a.network]))
    if batch < 1 or iters < 1 or warmup < 0 or a.threads < 1:
        p.error("--batch, --iters and --threads must be at least 1, --warmup at least 0")
    if a.tf32 and a.device != "cuda":
        p.error("--tf32 needs --device cuda")
    if a.device == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("error: --device cuda, but torch.cuda.is_available() is False "
                             f"(torch {torch.__version__}, built for CUDA {torch.version.cuda})")
        torch.backends.cudnn.benchmark = True
        # Both switches set either way: PyTorch's default allows TF32 in cuDNN's convolutions.
        torch.backends.cudnn.allow_tf32 = a.tf32
        torch.backends.cuda.matmul.allow_tf32 = a.tf32

    # Before anything runs in torch, so that OpenMP (and OpenBLAS's OpenMP build, which follows
    # omp_set_num_threads) never starts more threads than asked.
    torch.set_num_threads(a.threads)
    if a.keep_memory:
        keep_freed_memory()
    malloc = "keep-memory" if a.keep_memory else "default"
    torch.manual_seed(a.seed)  # dropout masks

    env = environment()
    # In --json mode stdout carries the one object only; the human-readable report goes to stderr.
    log = sys.stderr if a.json else sys.stdout
    print(f"torch {env['torch']}, {torch.get_num_threads()} threads", file=log)
    for line in env["config"]:
        print(f"  {line}", file=log)
    print(f"BLAS in use: {env['blas']}" + (f" ({', '.join(env['blas_libs'])})" if env["blas_libs"] else ""),
          file=log)
    print(f"malloc: {malloc}", file=log)
    device_name = torch.cuda.get_device_name(0) if a.device == "cuda" else "cpu"
    cudnn = torch.backends.cudnn.version() if a.device == "cuda" else None
    if a.device == "cuda":
        print(f"device: {device_name}, CUDA {torch.version.cuda}, cuDNN {cudnn}, "
              f"{'TF32' if a.tf32 else 'FP32 (TF32 off)'}", file=log)

    r = bench(a.network, batch, warmup, iters, seed=a.seed, device=a.device, twin=a.twin)

    if a.json:
        out = {
            "network": r["network"],
            "batch": batch,
            "threads": torch.get_num_threads(),
            "torch": env["torch"],
            "blas": env["blas"],
            "forward_images_per_second": round(r["forward_images_per_second"], 3),
            "train_images_per_second": round(r["train_images_per_second"], 3),
            "forward_ms": round(r["forward_ms"], 3),
            "train_ms": round(r["train_ms"], 3),
            "forward_gflops": round(r["forward_gflops"], 3),
            "train_gflops": round(r["train_gflops"], 3),
            "macs_per_image": r["macs_per_image"],
            "warmup": warmup,
            "iters": iters,
            "conv_backend": r["conv_backend"],
            "malloc": malloc,
            "device": a.device,
            "device_name": device_name,
            "tf32": a.tf32,
            "cudnn": cudnn,
        }
        print(json.dumps(out))
        return 0

    print(f"\n{a.network} on {device_name}: batch {batch}, {r['macs_per_image']:,} multiply-adds per image, "
          f"convolutions on {r['conv_backend']}, warm-up {warmup}, median of {iters}")
    header = f"{'pass':<8} {'ms/batch':>10} {'images/s':>10} {'GFLOP/s':>9} {'min ms':>9} {'max ms':>9}"
    print(header)
    print("-" * len(header))
    for name in ("forward", "train"):
        all_ms = r[f"{name}_ms_all"]
        print(f"{name:<8} {r[f'{name}_ms']:>10.2f} {r[f'{name}_images_per_second']:>10.1f} "
              f"{r[f'{name}_gflops']:>9.2f} {min(all_ms):>9.2f} {max(all_ms):>9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
