#!/usr/bin/env python3
"""PyTorch's learning rates step by step: the fixture NetGen's LearningRates is tested against.

/usr/bin/python3 benchmarks/reference/torch_lr_schedules.py [OUT]   (default Tests/Training/Fixtures/torch_lr_schedules.json)

Each case runs a scheduler over a one-parameter SGD and records the rate of every optimizer step
(optimizer.param_groups[0]['lr'] before the step), as repr of Python's double:
  - step:     StepLR(step_size, gamma), stepped once per epoch of steps_per_epoch steps (no warm-up);
  - onecycle: OneCycleLR(max_lr=lr, total_steps=epochs*steps_per_epoch, anneal_strategy='cos', pct_start=0.3,
              div_factor=25, final_div_factor=1e4, three_phase=False, cycle_momentum=False), stepped per step.
The base rates are powers of two, exactly the same in float and double, so NetGen's float options
mean what the fixture's doubles do.
"""
import json
import sys

import torch


def rates(make, epochs, steps_per_epoch, lr, per_step):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr, momentum=0.9)
    sched = make(opt)
    out = []
    for _ in range(epochs):
        for _ in range(steps_per_epoch):
            out.append(repr(opt.param_groups[0]["lr"]))
            opt.step()
            if per_step:
                sched.step()
        if not per_step:
            sched.step()
    return out


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "Tests/Training/Fixtures/torch_lr_schedules.json"
    cases = []
    for (lr, epochs, spe, size, gamma) in [(0.5, 10, 3, 3, 0.5), (0.125, 9, 2, 2, 0.25), (0.0625, 7, 1, 1, 0.75)]:
        cases.append({"schedule": "step", "lr": lr, "epochs": epochs, "steps_per_epoch": spe, "step_size": size, "gamma": gamma,
                      "rates": rates(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=size, gamma=gamma), epochs, spe, lr, False)})
    for (lr, epochs, spe) in [(0.5, 4, 5), (0.125, 3, 7), (0.0625, 1, 13), (0.25, 2, 2)]:
        cases.append({"schedule": "onecycle", "lr": lr, "epochs": epochs, "steps_per_epoch": spe,
                      "rates": rates(lambda o: torch.optim.lr_scheduler.OneCycleLR(
                          o, max_lr=lr, total_steps=epochs * spe, anneal_strategy="cos", pct_start=0.3, div_factor=25.0,
                          final_div_factor=1e4, three_phase=False, cycle_momentum=False), epochs, spe, lr, True)})
    with open(path, "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
