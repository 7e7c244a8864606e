"""A user's model family: ``build(config, input_shape, n_classes) -> nn.Module``.

The builder is named by the user on the command line (``--model pkg.module:function`` or
``--model path/to/file.py:function``) or passed as a function in Python; it is imported
only because the user named it there, never from a name read out of a data, state or
results file. The current directory is searched first, as ``python -m`` would, so a
``my_models.py`` beside the user's data works without installing anything.

``check_builder`` builds one configuration and runs one batch through it before any work
starts, so a builder that does not exist, returns no module or does not fit the data's
shape is one line naming it, not a failure in the first training.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nas_surrogate.errors import BadInputError

Builder = Callable[[dict, tuple, int], Any]


def load_builder(spec: str, where: str = "--model") -> Builder:
    """The function ``spec`` names: ``package.module:function`` or ``file.py:function``
    (imported once per process)."""
    return _load_builder(spec, where)


@functools.lru_cache(maxsize=16)
def _load_builder(spec: str, where: str) -> Builder:
    if not isinstance(spec, str) or spec.count(":") != 1:
        raise BadInputError(
            f"{where} {spec!r}", "write package.module:function or file.py:function"
        )
    module_name, func_name = spec.split(":")
    if not module_name or not func_name.isidentifier():
        raise BadInputError(
            f"{where} {spec!r}", "write package.module:function or file.py:function"
        )
    try:
        if module_name.endswith(".py"):
            path = Path(module_name)
            if not path.is_file():
                raise BadInputError(f"{where} {spec!r}", f"no file {module_name}")
            unit = importlib.util.spec_from_file_location(path.stem, path)
            if unit is None or unit.loader is None:
                raise BadInputError(f"{where} {spec!r}", f"cannot import {module_name}")
            module = importlib.util.module_from_spec(unit)
            sys.modules.setdefault(path.stem, module)
            unit.loader.exec_module(module)
        else:
            if os.getcwd() not in sys.path:
                sys.path.insert(0, os.getcwd())
            module = importlib.import_module(module_name)
    except BadInputError:
        raise
    except ImportError as e:
        raise BadInputError(f"{where} {spec!r}", f"cannot import {module_name} ({e})") from None
    except Exception as e:  # the user's module failed while importing
        raise BadInputError(f"{where} {spec!r}", f"importing {module_name} failed: {e!r}") from None
    func = getattr(module, func_name, None)
    if not callable(func):
        raise BadInputError(f"{where} {spec!r}", f"{module_name} has no function {func_name}")
    return func


def build_model(build: Builder, config: dict, input_shape: tuple, n_classes: int, where: str):
    """``build(config, input_shape, n_classes)``, checked to be an ``nn.Module``."""
    from torch import nn

    try:
        net = build(dict(config), tuple(input_shape), int(n_classes))
    except Exception as e:
        raise BadInputError(where, f"building {config} failed: {e!r}") from None
    if not isinstance(net, nn.Module):
        raise BadInputError(where, f"returned {type(net).__name__}, not a torch nn.Module")
    return net


def check_builder(build: Builder, configs: list[dict], x, n_classes: int, where: str) -> None:
    """Build each configuration and run ``x`` (a few rows) through it: logits of shape
    (rows, n_classes), else BadInputError naming the configuration and the shapes."""
    import torch

    for config in configs:
        net = build_model(build, config, tuple(x.shape[1:]), n_classes, where)
        net.eval()
        try:
            with torch.no_grad():
                out = net(x)
        except Exception as e:
            raise BadInputError(
                where, f"{config} fails on inputs of shape {tuple(x.shape)}: {e}"
            ) from None
        want = (len(x), n_classes)
        if not isinstance(out, torch.Tensor) or tuple(out.shape) != want:
            got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise BadInputError(
                where, f"{config} gives outputs {got} for inputs {tuple(x.shape)}; "
                f"expected logits {want}",
            )  # fmt: skip
