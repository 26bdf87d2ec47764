#!/usr/bin/env python3
# A batch as 'netgen step' reads it, from a seed: make_step_input.py OUT N C H W CLASSES SEED [SCALE]
# (standard normal values, times SCALE when given: 128 puts AlexNet's input in a pixel's range, as
# compare_step.sh does, where near ties in the max pools are rare)
import json, struct, sys, random
n, c, h, w, classes, seed = map(int, sys.argv[2:8])
scale = float(sys.argv[8]) if len(sys.argv) > 8 else None
rng = random.Random(seed)
vals = [rng.gauss(0, 1) for _ in range(n*c*h*w)]
if scale is not None:
    vals = [v * scale for v in vals]
labels = [rng.randrange(classes) for _ in range(n)]
data_in = struct.pack(f'<{len(vals)}f', *vals)
data_lb = struct.pack(f'<{n}q', *labels)
header = {"input": {"dtype": "F32", "shape": [n, c, h, w], "data_offsets": [0, len(data_in)]},
          "labels": {"dtype": "I64", "shape": [n], "data_offsets": [len(data_in), len(data_in)+len(data_lb)]}}
hb = json.dumps(header).encode()
hb += b' ' * ((8 - len(hb) % 8) % 8)
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<Q', len(hb))); f.write(hb); f.write(data_in); f.write(data_lb)
