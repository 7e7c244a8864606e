"""A user's own model family: the CNN that ``space.yaml`` describes.

``build(config, input_shape, n_classes)`` is all nas-surrogate needs: it is called with
one configuration (a dict of the space's active dimensions), the shape of one input
(C, H, W) and the number of classes, and returns an ``nn.Module`` giving logits.
"""

from __future__ import annotations

from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU, "leaky_relu": nn.LeakyReLU}


def _norm(kind: str, channels: int) -> list[nn.Module]:
    if kind == "batch":
        return [nn.BatchNorm2d(channels)]
    if kind == "group":
        return [nn.GroupNorm(min(4, channels), channels)]
    return []


def build(config: dict, input_shape: tuple, n_classes: int) -> nn.Module:
    channels, height, width = input_shape
    layers: list[nn.Module] = []
    for i in range(1, config["depth"] + 1):
        out, k = config[f"width_{i}"], config[f"kernel_{i}"]
        layers.append(nn.Conv2d(channels, out, k, padding=k // 2, bias=config["norm"] == "none"))
        layers += _norm(config["norm"], out)
        layers.append(ACTIVATIONS[config["act"]]())
        pool = config[f"pool_{i}"]
        if pool != "none" and min(height, width) >= 2:  # never below 1x1
            layers.append(nn.MaxPool2d(2) if pool == "max" else nn.AvgPool2d(2))
            height, width = height // 2, width // 2
        channels = out
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(config["dropout"]),
               nn.Linear(channels, n_classes)]  # fmt: skip
    return nn.Sequential(*layers)
