#!/usr/bin/env python3
"""PyTorch's side of ActivationBenchmarks: a training step at batch 64 of ReluNet28 and SmoothNet28.

/usr/bin/python3 benchmarks/reference/torch_activations.py  (two threads, as the machine has two cores)
"""
import time
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_num_threads(2)


def network(first, second, third):
    return nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), first, nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 5, padding=2), second, nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(64 * 7 * 7, 128), third, nn.Dropout(0.3), nn.Linear(128, 10))


def images_per_second(net, steps=20):
    opt = torch.optim.SGD(net.parameters(), lr=1e-3, momentum=0.9, weight_decay=5e-4)
    x, y = torch.randn(64, 1, 28, 28), torch.arange(64) % 10

    def step():
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()

    for _ in range(5):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return 64 / sorted(times)[len(times) // 2]


print(f"relu:                  {images_per_second(network(nn.ReLU(), nn.ReLU(), nn.ReLU())):.0f} images/s")
print(f"gelu, leaky relu, elu: {images_per_second(network(nn.GELU(approximate='tanh'), nn.LeakyReLU(0.1), nn.ELU())):.0f} images/s")
