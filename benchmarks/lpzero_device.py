"""Seconds of LPZero's primitive pass per NB201 network on each device (experiment 5 of
the LPZero issue, "where a GPU is available").

    python benchmarks/lpzero_device.py [--networks 200] [--devices cpu,cuda]

The same ``--networks`` cells of the whole space (seed 0), the NB201 skeleton (16
channels, 5 cells per stage), one synthetic batch of 16 3x32x32 images: the pass of
``evolve-proxy --from primitives``, one network after another (one torch thread on the
CPU), after a warm-up of 16 networks. Prints a JSON line per device.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--networks", type=int, default=200)
    ap.add_argument("--devices", default="cpu,cuda")
    args = ap.parse_args()
    import numpy as np
    import torch
    from lpzero_nb201 import _batch, _build

    from nas_surrogate.experiments.evolve_primitives import primitives_of
    from nas_surrogate.spaces import get_space

    space = get_space("nasbench201")
    cells = space.all_archs()
    rows = np.random.default_rng(0).choice(len(cells), args.networks, replace=False)
    keys = [space.format(cells[i]) for i in rows]
    for device in args.devices.split(","):
        if device.startswith("cuda") and not torch.cuda.is_available():
            continue
        primitives_of(keys[:16], _build(10), _batch(10), max_bytes=262_144, seed=0,
                      device=device)  # fmt: skip
        t = time.perf_counter()
        got = primitives_of(keys, _build(10), _batch(10), max_bytes=262_144, seed=0,
                            device=device)  # fmt: skip
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        wall = time.perf_counter() - t
        print(json.dumps({"device": device, "seconds_per_network": wall / len(keys),
                          "pass_seconds": float(np.mean([p.seconds for p in got])),
                          "machine": platform.platform(), "date": datetime.date.today().isoformat(),
                          "name": torch.cuda.get_device_name() if device.startswith("cuda")
                          else platform.processor()}))  # fmt: skip


if __name__ == "__main__":
    main()
