"""Training and proxy speed of a user's own model family on CPU vs GPU: one command for
a GPU run.

    python benchmarks/device_speed.py --devices cpu,cuda [--configs 6 --images 20000]
        [--workers 1,2,4] [--out docs/device_speed.md]

The task is CIFAR-sized and synthetic (3x32x32 inputs, 10 classes, ``--images`` of them,
seeded; a speed test, not an accuracy test). The model family is the user-model path of
``nas``: ``examples/digits_cnn/space.yaml`` (1-8 conv blocks, per-block width, kernel and
pooling) built by ``examples/digits_cnn/model.py:build``, on ``--configs`` configurations
drawn with seed 0, the same on every device. Per device it measures:

- training: images per second of ``training.train_model`` (the default trainer, batch
  ``--batch-size``), one epoch per configuration over the training split; on the CPU
  with every core as torch threads (the strongest CPU baseline: one training at a time
  on all cores);
- proxies: ``ModelProxies`` (the 13 proxies and latency) per configuration;
- ``nas --workers N`` on the device for each N of ``--workers``: random search, two
  epochs per network, ``8 N`` networks, wall time (the Dask local cluster's start
  included) and training images per second of the whole run (on one GPU the N workers
  share it).

Writes a markdown page (``--out``) and prints it.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SPACE = ROOT / "examples" / "digits_cnn" / "space.yaml"
MODEL = f"{ROOT / 'examples' / 'digits_cnn' / 'model.py'}:build"


def synthetic_task(path: Path, images: int) -> None:
    """A seeded CIFAR-sized classification set: class-dependent means plus noise."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, images)
    centres = rng.normal(size=(10, 3, 32, 32)).astype(np.float32)
    x = centres[y] + rng.normal(size=(images, 3, 32, 32)).astype(np.float32) * 2.0
    np.savez(path, x=x.astype(np.float32), y=y.astype(np.int64))


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def train_speed(configs: list[dict], data, device: str, batch_size: int, precision: str) -> dict:
    """Images per second of one epoch per configuration (after a warm-up one)."""
    import torch

    from nas_surrogate.models import build_model, load_builder
    from nas_surrogate.training import train_model

    build = load_builder(MODEL)
    shape, n = tuple(data.x_train.shape[1:]), data.n_classes
    warm = build_model(build, configs[0], shape, n, "model")
    train_model(warm, data, 1, 0, batch_size=batch_size, lr=1e-3, device=device,
                optimizer="adam", precision=precision)  # fmt: skip
    _sync(device)
    seconds = []
    for i, config in enumerate(configs):
        torch.manual_seed(i)
        net = build_model(build, config, shape, n, "model")
        t = time.perf_counter()
        train_model(net, data, 1, i, batch_size=batch_size, lr=1e-3, device=device,
                    optimizer="adam", precision=precision)  # fmt: skip
        _sync(device)
        seconds.append(time.perf_counter() - t)
    return {"images_per_s": len(configs) * len(data.x_train) / sum(seconds),
            "s_per_epoch": float(np.median(seconds))}  # fmt: skip


def proxy_speed(configs: list[dict], data, device: str) -> dict:
    from nas_surrogate.models import load_builder
    from nas_surrogate.proxies.base import Batch
    from nas_surrogate.proxies.model import ModelProxies

    batch = Batch(data.x_train[:64], data.y_train[:64], data.n_classes)
    proxies = ModelProxies(load_builder(MODEL), batch, device=device)
    proxies.compute(configs[:1])  # warm-up (CUDA context, kernels)
    t = time.perf_counter()
    scores, _ = proxies.compute(configs[1:])
    _sync(device)
    wall = time.perf_counter() - t
    finite = float(np.isfinite(scores).mean())
    return {"s_per_config": wall / max(len(configs) - 1, 1), "finite": finite}


def nas_speed(dataset: Path, device: str, workers: int, batch_size: int, out: Path) -> dict:
    from nas_surrogate.experiments.nas import NasConfig, run_nas

    budget = 8 * workers
    config = NasConfig(out=str(out), space=str(SPACE), model=MODEL, dataset=str(dataset),
                       searcher="random", features="enc", budget=budget, epochs=2,
                       device=device, workers=workers, batch_size=batch_size,
                       optimizer="adam", lr=1e-3)  # fmt: skip
    t = time.perf_counter()
    summary = run_nas(config, progress=False)
    wall = time.perf_counter() - t
    from nas_surrogate.training import cached_dataset

    n_train = len(cached_dataset(str(dataset), True).x_train)
    return {"networks": summary["trained"], "wall_s": wall,
            "images_per_s": summary["trained"] * 2 * n_train / wall}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", default="cpu")
    parser.add_argument("--configs", type=int, default=6)
    parser.add_argument("--images", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--nas-devices", default="", help="devices for the --workers runs")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    import torch

    from nas_surrogate.experiments.nas import resolve_device
    from nas_surrogate.spaces.space import Space
    from nas_surrogate.training import cached_dataset

    t0 = time.perf_counter()
    tmp = Path(tempfile.mkdtemp())
    dataset = tmp / "cifar_sized.npz"
    synthetic_task(dataset, args.images)
    data = cached_dataset(str(dataset), True)
    configs = Space.from_yaml(SPACE).sample(args.configs, np.random.default_rng(0))
    cores = os.cpu_count() or 1
    rows, nas_rows = [], []
    for name in args.devices.split(","):
        device = resolve_device(name)
        torch.set_num_threads(cores if device == "cpu" else 1)
        proxies = proxy_speed(configs, data, device)
        for precision in ("fp32", "bf16") if device != "cpu" else ("fp32",):
            label = f"{device} ({'bf16 autocast' if precision == 'bf16' else 'fp32'})"
            rows.append((label, train_speed(configs, data, device, args.batch_size, precision),
                         proxies))  # fmt: skip
            print(rows[-1], flush=True)
    for name in [d for d in args.nas_devices.split(",") if d]:
        device = resolve_device(name)
        for workers in (int(w) for w in args.workers.split(",")):
            r = nas_speed(dataset, device, workers, args.batch_size, tmp / f"nas-{name}-{workers}")
            nas_rows.append((device, workers, r))
            print(nas_rows[-1], flush=True)
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "none"
    lines = [
        "# Training and proxy speed of your own model on CPU and GPU",
        "",
        f"Printed by `python benchmarks/device_speed.py --devices {args.devices} --configs "
        f"{args.configs} --images {args.images} --batch-size {args.batch_size}"
        + (f" --nas-devices {args.nas_devices} --workers {args.workers}" if nas_rows else "")
        + f"` on {datetime.date.today()}: {platform.machine()}, {cores} CPU cores, GPU {gpu}, "
        f"torch {torch.__version__}; {time.perf_counter() - t0:.0f} s in all.",
        "",
        f"Task: synthetic, CIFAR-sized (3x32x32, 10 classes, {args.images} images, "
        f"{len(data.x_train)} in the training split). Models: {args.configs} configurations "
        "of `examples/digits_cnn/space.yaml` (seed 0), built by its `model.py`. Training: "
        f"one epoch each, Adam, batch {args.batch_size}; the CPU uses all {cores} cores as "
        "torch threads; on CUDA with the default fp32 and with `--precision bf16` (autocast, "
        "channels-last images). Proxies: `ModelProxies`, the 13 proxies and "
        "latency, a 64-image batch, fp32, measured once per device.",
        "",
        "| device | training images/s | s per epoch (median) | proxies s per config |",
        "|---|---|---|---|",
    ]
    for device, tr, px in rows:
        lines.append(f"| {device} | {tr['images_per_s']:,.0f} | {tr['s_per_epoch']:.2f} | "
                     f"{px['s_per_config']:.3f} |")  # fmt: skip
    if len(rows) > 1:
        base_t, base_p = rows[0][1]["images_per_s"], rows[0][2]["s_per_config"]
        for device, tr, px in rows[1:]:
            lines += ["", f"{device} vs {rows[0][0]}: training {tr['images_per_s'] / base_t:.1f}x, "
                      f"proxies {base_p / px['s_per_config']:.1f}x."]  # fmt: skip
    if nas_rows:
        lines += ["", "`nas --workers N` (random search, 8N networks, two epochs each, Dask "
                  "local cluster):", "", "| device | workers | networks | wall s | "
                  "training images/s |", "|---|---|---|---|---|"]  # fmt: skip
        for device, workers, r in nas_rows:
            lines.append(f"| {device} | {workers} | {r['networks']} | {r['wall_s']:.1f} | "
                         f"{r['images_per_s']:,.0f} |")  # fmt: skip
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
