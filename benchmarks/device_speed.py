"""Proxies per network and training seconds per epoch on a device: one command for a
GPU run.

    python benchmarks/device_speed.py --device cpu|cuda|auto [--archs 20 --epochs 2]

Scores ``--archs`` random NB201 cells with the 13 proxies plus ``latency`` (the skeleton
``nas`` trains: 16 channels, 1 cell per stage, a 64-image digits batch) and trains
``--archs`` // 4 of them for ``--epochs`` on digits; prints the median seconds per
network and per proxy, and per training epoch.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--archs", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    import torch

    from nas_surrogate.experiments.nas import resolve_device
    from nas_surrogate.proxies import PROXIES, Batch, compute_proxies
    from nas_surrogate.spaces import get_space
    from nas_surrogate.training import load_dataset, train_network

    device = resolve_device(args.device)
    torch.set_num_threads(1)
    space = get_space("nasbench201")
    archs = space.sample(args.archs, np.random.default_rng(0))
    data = load_dataset("digits")
    batch = Batch(data.x_train[:64].to(device), data.y_train[:64].to(device), data.n_classes)
    names = [*PROXIES.names(), "latency"]
    network = {"channels": 16, "n_cells": 1}
    t = time.perf_counter()
    _, seconds = compute_proxies(archs, names, batch=batch, network=network, device=device)
    wall = time.perf_counter() - t
    per_epoch = []
    for arch in archs[: max(1, args.archs // 4)]:
        r = train_network(arch, data, args.epochs, 0, network, device=device)
        per_epoch.append(r.seconds / args.epochs)
    print(f"Printed by `python benchmarks/device_speed.py --device {args.device}` on "
          f"{datetime.date.today()}, {platform.machine()}, {os.cpu_count()} cores, device "
          f"{device}{' (' + torch.cuda.get_device_name() + ')' if device != 'cpu' else ''}, "
          "one torch thread.\n")  # fmt: skip
    print(f"proxies: {wall / len(archs):.3f} s per network for all {len(names)} "
          f"({len(archs)} networks)")  # fmt: skip
    for j, name in enumerate(names):
        print(f"  {name:10s} {np.nanmedian(seconds[:, j]):.4f} s")
    print(f"training: {np.median(per_epoch):.2f} s per epoch on digits ({len(data.x_train)} "
          f"training images; {len(per_epoch)} networks)")  # fmt: skip


if __name__ == "__main__":
    main()
