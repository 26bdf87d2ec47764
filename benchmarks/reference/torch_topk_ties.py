#!/usr/bin/env python3
"""PyTorch's ranking of tied, NaN and infinite logits: the fixture NetGen's Ranking is tested against.

/usr/bin/python3 benchmarks/reference/torch_topk_ties.py [OUT]   (default Tests/Training/Fixtures/torch_topk_ties.json)

For each row of logits (float32) and its label the fixture holds, for k = 1 and 5:
  - topk:   torch.topk(row, k).indices, on the CPU, and whether the label is among them;
  - sorted: torch.sort(row, descending=True, stable=True).indices[:k] (torch.argmax for k = 1 agrees), and the hit;
  - boundary_tie: whether the k-th and (k+1)-th values of the sorted row are equal (NaNs equal to one another),
    the only case in which topk's choice of classes is not determined by the values.
Facts it records (PyTorch 1.13 on the CPU, checked in the "facts" entry):
  - topk, sort and argmax all put NaN above every number, +inf included; -0.0 and 0.0 are equal;
  - sort (stable) and argmax break ties by the lower index; topk's order of equal values is whatever
    std::nth_element / std::partial_sort leave (ten equal values: topk(k=1) is index 8, topk(k=5) is [8, 6, 7, 5, 9]).
Logits are written as strings (float32 values, shortest repr; "NaN", "Infinity", "-Infinity"), so the JSON is plain.
"""
import json
import math
import sys

import torch

NAN, INF = float("nan"), float("inf")
K = (1, 5)


def text(v):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return repr(v)


def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


def rows():
    # Every class equal: a network with all weights zero, or probabilities that all round to zero.
    for value in (0.0, 1.0, -3.5, INF, -INF, NAN):
        for label in (0, 4, 5, 8, 9):
            yield [value] * 10, label
    # Pairs, runs and a tie across the fifth place.
    yield [0, 1, 0, 1, 0, 1, 0, 1, 0, 1.0], 3
    yield [0, 1, 0, 1, 0, 1, 0, 1, 0, 1.0], 4
    yield [3, 2, 2, 2, 2, 2, 2, 2, 2, 1.0], 6
    yield [3, 2, 2, 2, 2, 2, 2, 2, 2, 1.0], 1
    yield [5, 4, 3, 2, 1, 1, 1, 0, 0, 0.0], 5
    yield [5, 4, 3, 2, 1, 1, 1, 0, 0, 0.0], 4
    yield [-0.0, 0.0] * 5, 1
    yield [0.0, -0.0] * 5, 0
    # NaN and infinities mixed with numbers.
    yield [NAN] + [0.0] * 9, 0
    yield [0.0] * 9 + [NAN], 0
    yield [0.0] * 9 + [NAN], 9
    yield [0, NAN, 3, NAN, INF, -INF, INF, 2, 2, NAN], 9
    yield [0, NAN, 3, NAN, INF, -INF, INF, 2, 2, NAN], 4
    yield [0, NAN, 3, NAN, INF, -INF, INF, 2, 2, NAN], 2
    yield [1, INF, INF, 0, 0, 0, 0, 0, 0, 0.0], 2
    yield [1, INF, INF, 0, 0, 0, 0, 0, 0, 0.0], 7
    yield [-INF] * 9 + [0.0], 9
    yield [-INF] * 9 + [0.0], 3
    # Logits a softmax would turn into probabilities that are all 0 but one: distinct logits, no tie.
    yield [0, -800, -900, -1000, -1100, -1200, -1300, -1400, -1500, -1600.0], 4
    yield [0, -800, -900, -1000, -1100, -1200, -1300, -1400, -1500, -1600.0], 5
    # Seeded rows quantised to a few levels, so ties are common.
    generator = torch.Generator().manual_seed(2012)
    for n in range(24):
        row = torch.randint(0, 3 + n % 4, (10,), generator=generator).float() - 1.5
        label = int(torch.randint(0, 10, (1,), generator=generator))
        yield row.tolist(), label
    # Twenty classes.
    for n in range(4):
        row = torch.randint(0, 4, (20,), generator=generator).float()
        yield row.tolist(), int(torch.randint(0, 20, (1,), generator=generator))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "Tests/Training/Fixtures/torch_topk_ties.json"
    cases = []
    for values, label in rows():
        row = torch.tensor(values, dtype=torch.float32)
        order = torch.sort(row, descending=True, stable=True).indices.tolist()
        case = {"logits": [text(v) for v in row.tolist()], "label": label}
        for k in K:
            topk = torch.topk(row, k).indices.tolist()
            ranked = row[order].tolist()
            case[f"top{k}"] = {
                "topk": topk,
                "topk_hit": label in topk,
                "sorted": order[:k],
                "sorted_hit": label in order[:k],
                "boundary_tie": same(ranked[k - 1], ranked[k]),
            }
        assert torch.argmax(row).item() == order[0]
        cases.append(case)
    equal = torch.zeros(10)
    facts = {
        "torch": torch.__version__,
        "nan_is_largest": torch.topk(torch.tensor([1.0, NAN, INF]), 1).indices.item() == 1,
        "argmax_of_ten_equal": torch.argmax(equal).item(),
        "topk1_of_ten_equal": torch.topk(equal, 1).indices.tolist(),
        "topk5_of_ten_equal": torch.topk(equal, 5).indices.tolist(),
        "sorted5_of_ten_equal": torch.sort(equal, descending=True, stable=True).indices[:5].tolist(),
    }
    hits = {f"{rule}_top{k}": sum(c[f"top{k}"][f"{rule}_hit"] for c in cases) for rule in ("topk", "sorted") for k in K}
    with open(out, "w") as f:  # one case a line
        f.write('{"generated_by": "benchmarks/reference/torch_topk_ties.py",\n')
        f.write(f'"facts": {json.dumps(facts)},\n"hits": {json.dumps(hits)},\n"cases": [\n')
        f.write(",\n".join(json.dumps(c) for c in cases))
        f.write("\n]}\n")
    print(json.dumps(facts), json.dumps(hits))


if __name__ == "__main__":
    main()
