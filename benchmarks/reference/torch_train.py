#!/usr/bin/python3
"""MiniAlexNet's Fashion-MNIST recipe in PyTorch, for trying recipes where a GPU is lent.

A full NetGen run takes 15 minutes of this machine's two cores, so recipes (grouping, dropout,
label smoothing, width) are compared here first, on a GPU, many seeds at once, and only the best
is run with `netgen train`. The network is torch_step.py's MiniAlexNet (written out by hand from
Runtime/Networks/MiniAlexNet.cs) with its declared initialisation; the data and schedule follow NetGen's:

  - inputs: the training set's per-pixel mean image subtracted, then divided by the standard
    deviation of the result over all training pixels (the network's Normalise); no flips, no crops;
  - SGD, momentum 0.9, weight decay 0.0005 on every tensor, batch 128, the last partial batch of
    an epoch dropped (59,904 of 60,000 images), a fresh order every epoch;
  - the learning rate divided by 10 when the test-set top-1 error has not beaten the best by
    --threshold for --patience epochs (Runtime/Training/PlateauSchedule.cs: the best is kept
    across drops, and the count restarts after a drop);
  - label smoothing as NetGen's: the target is 1 - e on the label plus e / 10 on every class.

It is not bit-for-bit NetGen (other random streams, cuDNN's sums), so compare recipes with each
other over several seeds, not single runs with NetGen's.

Usage:
  torch_train.py [--data /usr/share/datasets/fashion-mnist] [--epochs 20] [--lr 0.05]
                 [--label-smoothing 0.2] [--dropout 0.3] [--groups 1] [--width 1.0]
                 [--patience 3] [--threshold 0.002] [--seeds 1,2,3] [--limit N] [--device auto]
                 [--out results.jsonl]

  --groups   groups of conv2, conv4 and conv5 (2 is AlexNet's two-column grouping)
  --width    multiplies every convolution's filters and fc6/fc7's units
  --limit    train on the first N images only (a smoke test)
  --out      appends one JSON object per seed: the settings, each epoch's test error, the best

Example (GPU, three seeds):
  /usr/bin/python3 benchmarks/reference/torch_train.py --seeds 1,2,3 --out sweep.jsonl
"""

import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_bench  # noqa: E402  (the spec as an nn.Module: its forward pass)
import torch_step  # noqa: E402  (MiniAlexNet's spec)

GROUPED = {"conv2", "conv4", "conv5"}


def read_idx(folder, name):
    """An IDX file (raw or gzipped) as a numpy array; the header gives the dimensions."""
    for path in (os.path.join(folder, name), os.path.join(folder, name + ".gz")):
        if os.path.exists(path):
            with (gzip.open(path) if path.endswith(".gz") else open(path, "rb")) as f:
                data = f.read()
            dims = data[3]
            shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
            return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)
    raise FileNotFoundError(f"{folder}: no {name}[.gz]")


def load(folder, limit):
    train_x = read_idx(folder, "train-images-idx3-ubyte").astype(np.float32)
    train_y = read_idx(folder, "train-labels-idx1-ubyte").astype(np.int64)
    test_x = read_idx(folder, "t10k-images-idx3-ubyte").astype(np.float32)
    test_y = read_idx(folder, "t10k-labels-idx1-ubyte").astype(np.int64)
    if limit:
        train_x, train_y = train_x[:limit], train_y[:limit]
    mean = train_x.mean(axis=0)
    std = (train_x - mean).std()
    prepare = lambda x: torch.from_numpy((x - mean) / std).unsqueeze(1)  # noqa: E731
    return prepare(train_x), torch.from_numpy(train_y), prepare(test_x), torch.from_numpy(test_y)


class Net(torch_bench.BenchNet):
    """torch_bench's module (its forward pass) with the recipe's grouping, width and dropout."""

    def __init__(self, spec, groups, width, dropout, seed):
        nn.Module.__init__(self)
        self.spec, self.dropout = spec, dropout
        scaled = lambda n: max(1, round(n * width))  # noqa: E731
        self.convs, self.denses, cin = nn.ModuleList(), nn.ModuleList(), spec.channels
        for c in spec.convs:
            g = groups if c.name in GROUPED else 1
            self.convs.append(nn.Conv2d(cin, scaled(c.cout), c.kernel, stride=c.stride, padding=c.pad, groups=g))
            cin = scaled(c.cout)
        fin = cin * 7 * 7  # conv5's maps, unpooled
        for d in spec.denses:
            fout = d.fout if not d.relu else scaled(d.fout)
            self.denses.append(nn.Linear(fin, fout))
            fin = fout
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for layer, module in zip(spec.layers, list(self.convs) + list(self.denses)):
                # He's sqrt(2 / fan-in), as every MiniAlexNet layer but fc8 declares it; fc8 keeps 0.01.
                fan_in = module.weight[0].numel()
                std = layer.std if layer.name == "fc8" else (2.0 / fan_in) ** 0.5
                module.weight.copy_(torch.randn(module.weight.shape, generator=generator) * std)
                module.bias.fill_(layer.bias)


def test_error(model, x, y, batch=1000):
    model.eval()
    wrong = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            wrong += (model(x[i:i + batch]).argmax(1) != y[i:i + batch]).sum().item()
    return wrong / len(x)


def train(args, seed, data, device):
    train_x, train_y, test_x, test_y = (t.to(device) for t in data)
    torch.manual_seed(seed)
    model = Net(torch_step.minialexnet(), args.groups, args.width, args.dropout, seed).to(device)
    optimiser = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=0.0005)
    best, since, lr, errors = 1.0, 0, args.lr, []
    steps = len(train_x) // args.batch
    for epoch in range(1, args.epochs + 1):
        model.train()
        start, order = time.time(), torch.randperm(len(train_x), device=device)
        for s in range(steps):
            index = order[s * args.batch:(s + 1) * args.batch]
            loss = F.cross_entropy(model(train_x[index]), train_y[index], label_smoothing=args.label_smoothing)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
        error = test_error(model, test_x, test_y)
        errors.append(error)
        print(f"seed {seed} epoch {epoch}: lr {lr:g}, loss {loss.item():.4f}, test error {100 * error:.2f} % "
              f"({time.time() - start:.1f} s)", file=sys.stderr)
        if error < best - args.threshold:
            best, since = error, 0
        else:
            since += 1
            if since >= args.patience:
                since, lr = 0, lr / 10
                for group in optimiser.param_groups:
                    group["lr"] = lr
    return errors


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--label-smoothing", type=float, default=0.2)
    p.add_argument("--dropout", type=float, default=0.3)
    p.add_argument("--groups", type=int, default=1, choices=[1, 2])
    p.add_argument("--width", type=float, default=1.0)
    p.add_argument("--patience", type=int, default=3)
    p.add_argument("--threshold", type=float, default=0.002)
    p.add_argument("--seeds", default="1")
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--out")
    args = p.parse_args()
    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    data = load(args.data, args.limit)
    settings = {k: v for k, v in vars(args).items() if k not in ("seeds", "out", "device", "data")}
    for seed in (int(s) for s in args.seeds.split(",")):
        errors = train(args, seed, data, device)
        result = dict(settings, seed=seed, test_errors=errors, best=min(errors), best_epoch=1 + errors.index(min(errors)))
        print(json.dumps(result))
        if args.out:
            with open(args.out, "a") as f:
                f.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
