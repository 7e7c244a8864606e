"""Primitive statistics of a network (LPZero's inputs): one forward and one backward
pass on a batch, collecting per layer what a symbolic proxy may combine.

Primitives (LPZero's names):

- ``act``: the output of each weighted layer (convolution or linear, module order);
- ``grad``: the gradient of the cross-entropy loss w.r.t. that layer's weight;
- ``weight``: that layer's weight;
- ``head``: the output of each ``nn.MultiheadAttention`` (attention models only);
- ``softmax``: its attention map, where the module returns one (``need_weights``).

``act``, ``grad`` and ``weight`` share one list of layers, so an expression combining
them pairs each layer with itself; ``head`` and ``softmax`` are per attention module.

**Bounded memory.** Only ``max_bytes`` per network are kept: each tensor is reduced to
at most ``k = max_bytes / (4 x tensors)`` float32 values as soon as it exists (inside
the forward hook for activations), drawn at positions fixed by (seed, layer, size), so
networks with the same layer shape are sampled alike. A tensor smaller than ``k`` is
kept whole. Reductions of an expression (mean, std, l1, Frobenius, softmax) read the
sample and its full element count, so means are sample means and sums are scaled by
``count / k``. The networks' full activations live only during the pass.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from nas_surrogate.errors import BadInputError

if TYPE_CHECKING:  # torch is imported by the pass itself: expressions evaluate without it
    import torch
    from torch import nn

    from nas_surrogate.proxies.base import Batch

#: LPZero's inputs, in its order
PRIMITIVE_NAMES: tuple[str, ...] = ("act", "grad", "weight", "head", "softmax")
#: the layer list each primitive is collected over (primitives of one group pair 1:1)
GROUP = {
    "act": "layers",
    "grad": "layers",
    "weight": "layers",
    "head": "attention",
    "softmax": "attention",
}
#: bytes kept per network unless told (float32 samples of every tensor)
DEFAULT_MAX_BYTES = 256 * 1024
#: fewest values a tensor's sample may hold: a cap below this per tensor is refused
MIN_ELEMENTS = 16


@dataclass
class NetworkPrimitives:
    """The primitives of one network: per name, one float32 sample per layer and the
    element count of the full tensor it was drawn from."""

    samples: dict[str, list[np.ndarray]] = field(default_factory=dict)
    counts: dict[str, list[int]] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, name: str, sample: np.ndarray, count: int) -> None:
        self.samples.setdefault(name, []).append(sample)
        self.counts.setdefault(name, []).append(count)

    def layers(self, name: str) -> int:
        return len(self.samples.get(name, ()))

    @property
    def nbytes(self) -> int:
        return sum(s.nbytes for values in self.samples.values() for s in values)


def per_tensor_elements(max_bytes: int, n_tensors: int) -> int:
    """Values kept per tensor under ``max_bytes``; BadInputError when the cap cannot
    hold ``MIN_ELEMENTS`` of each of the network's ``n_tensors`` tensors."""
    k = int(max_bytes) // (4 * max(n_tensors, 1))
    if k < MIN_ELEMENTS:
        need = MIN_ELEMENTS * 4 * n_tensors
        raise BadInputError(
            f"max_bytes {max_bytes}",
            f"too small: the network has {n_tensors} primitive tensors and each needs at "
            f"least {MIN_ELEMENTS} float32 values ({need} bytes in all)",
        )
    return k


class _Sampler:
    """Fixed positions per (layer, size): the same for every network of the pass's seed."""

    def __init__(self, k: int, seed: int) -> None:
        self.k, self.seed = k, int(seed)
        self._positions: dict[tuple[str, int, int], torch.Tensor] = {}

    def __call__(self, name: str, layer: int, tensor: torch.Tensor) -> tuple[np.ndarray, int]:
        flat = tensor.detach().reshape(-1)
        n = int(flat.numel())
        if n > self.k:
            key = (name, layer, n)
            if key not in self._positions:
                import torch

                rng = np.random.default_rng([self.seed, PRIMITIVE_NAMES.index(name), layer, n])
                idx = np.sort(rng.choice(n, self.k, replace=False))
                self._positions[key] = torch.as_tensor(idx, device=flat.device)
            flat = flat.index_select(0, self._positions[key].to(flat.device))
        return flat.float().cpu().numpy().astype(np.float32, copy=True), n


def _attention_modules(net: nn.Module) -> list[nn.Module]:
    from torch import nn

    return [m for m in net.modules() if isinstance(m, nn.MultiheadAttention)]


def primitive_pass(
    net: nn.Module,
    batch: Batch,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    seed: int = 0,
    sampler: _Sampler | None = None,
) -> NetworkPrimitives:
    """Primitives of ``net`` on ``batch`` (train mode, one forward and one backward pass
    of the cross-entropy loss). ``max_bytes`` bounds what is kept (see the module)."""
    from torch import nn

    from nas_surrogate.proxies.base import weighted_layers

    attention = _attention_modules(net)
    # an attention module reads its out_proj's weight without calling it: no output
    inside = {id(m) for a in attention for m in a.modules() if m is not a}
    layers = [m for m in weighted_layers(net) if id(m) not in inside]
    if not layers and not attention:
        raise BadInputError(
            f"model {type(net).__name__}",
            "has no convolution, linear or attention layer: no primitive statistics to collect",
        )
    k = per_tensor_elements(max_bytes, 3 * len(layers) + 2 * len(attention))
    sampler = sampler if sampler is not None and sampler.k == k else _Sampler(k, seed)
    hooks = _Hooks(sampler, layers, attention)
    t = time.perf_counter()
    try:
        net.train()
        net.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(net(batch.images), batch.labels)
        loss.backward()
    finally:
        hooks.remove()
    out = hooks.collect(layers)
    out.seconds = time.perf_counter() - t
    return out


class _Hooks:
    """Forward hooks that sample each layer's output as soon as it exists."""

    def __init__(self, sampler: _Sampler, layers: list, attention: list) -> None:
        self.sampler = sampler
        self.acts: dict[int, tuple[np.ndarray, int]] = {}
        self.heads: dict[int, list[tuple[str, np.ndarray, int]]] = {}
        self.handles = [m.register_forward_hook(self._act(i)) for i, m in enumerate(layers)]
        self.handles += [m.register_forward_hook(self._attention(i))
                         for i, m in enumerate(attention)]  # fmt: skip

    def _act(self, i: int):
        def hook(module, inputs, output):
            if i not in self.acts and hasattr(output, "detach"):
                self.acts[i] = self.sampler("act", i, output)

        return hook

    def _attention(self, i: int):
        def hook(module, inputs, output):
            if i in self.heads or not isinstance(output, tuple):
                return
            found = [("head", *self.sampler("head", i, output[0]))]
            if len(output) > 1 and hasattr(output[1], "detach"):  # need_weights=True
                found.append(("softmax", *self.sampler("softmax", i, output[1])))
            self.heads[i] = found

        return hook

    def remove(self) -> None:
        for h in self.handles:
            h.remove()

    def collect(self, layers: list) -> NetworkPrimitives:
        """The primitives after the backward pass. A layer the forward pass never called
        has a NaN ``act`` (an expression reading it cannot score this network), a layer
        without a gradient a zero ``grad``."""
        out = NetworkPrimitives()
        for i, layer in enumerate(layers):
            out.add("act", *self.acts.get(i, (np.full(1, np.nan, dtype=np.float32), 1)))
            grad = layer.weight.grad
            no_grad = (np.zeros(1, dtype=np.float32), 1)
            out.add("grad", *(self.sampler("grad", i, grad) if grad is not None else no_grad))
            out.add("weight", *self.sampler("weight", i, layer.weight))
        for i in sorted(self.heads):
            for name, sample, count in self.heads[i]:
                out.add(name, sample, count)
        return out


__all__ = [
    "DEFAULT_MAX_BYTES",
    "GROUP",
    "PRIMITIVE_NAMES",
    "NetworkPrimitives",
    "per_tensor_elements",
    "primitive_pass",
]
