"""YAML configs -> the same settings the CLI builds, with errors naming file and field.

A config names its command and the command's options (dashes or underscores):

    command: evaluate
    benchmark: nasbench201/cifar10
    surrogate: [xgb, lgbm]
    features: [onehot, zc, onehot+zc]
    train_size: [10, 20, 50, 100]
    seeds: 10
    out: out/evaluate-nb201
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from nas_surrogate.errors import BadInputError

#: bounds on seeds, the same from the CLI, a YAML config or the Python API
MAX_SEED = 2**32 - 1
MAX_SEEDS = 100_000

#: defaults shared by every command that has the concept, defined here once
#: queries per tabular search run (`search`, `demo`, `tune --target search`)
SEARCH_BUDGET = 100
#: independent runs of a searcher (`search`, `tune --report-seeds`): curves need many
SEARCH_SEEDS = 10
#: train/test splits per predictor setting (`evaluate`, `demo`): cheap to add later,
#: as a rerun with more seeds resumes
SPLIT_SEEDS = 5
#: search runs scoring one trial of `tune --target search`
TUNE_SEEDS = 5
#: fresh evaluations of tuned against default settings after `tune`
REPORT_SEEDS = 10
#: networks trained for real by `nas` (each costs a training, not a table look-up)
NAS_BUDGET = 40

#: the values of the settings that take one of a few names, declared here so that a
#: command's config lists them without importing the code that uses them
ACQUISITIONS = ("its", "ei", "ucb")  # bo's acquisition functions
ZC_TRANSFORMS = ("none", "quantile")  # of the ZC columns before a surrogate fits
POOLS = ("scored", "all")  # networks an evaluation splits: every proxy scored, or all
ABLATIONS = ("none", "add-one", "leave-one-out")  # proxy ablations of `evaluate`
PRUNERS = ("median", "hyperband", "none")  # Optuna pruners of `tune`
TUNE_TARGETS = ("predictor", "search")  # what `tune` tunes: a surrogate or a searcher


def check_seeds(seeds: int, base_seed: int) -> None:
    """BadInputError unless 1 <= seeds <= MAX_SEEDS and 0 <= base_seed <= MAX_SEED."""
    for where, value, lo, hi in (("--seeds", seeds, 1, MAX_SEEDS),
                                 ("--seed", base_seed, 0, MAX_SEED)):  # fmt: skip
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise BadInputError(where, f"must be an integer in [{lo}, {hi}], got {value!r}")


#: the largest YAML file read (configs and search spaces are a few hundred bytes)
MAX_YAML_BYTES = 1_000_000


class _NoAliasLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses anchors/aliases: a 400-byte "billion laughs"
    document expands to gigabytes through them, and configs never need them."""

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.events.AliasEvent):
            event = self.peek_event()
            raise yaml.constructor.ConstructorError(
                None, None, "aliases are not allowed", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        """A key written twice is refused: YAML would keep the last one silently."""
        if isinstance(node, yaml.MappingNode):
            seen: set = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if not isinstance(key, str | int | float | bool):
                    continue
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {key!r} appears twice", key_node.start_mark
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping from ``path``, read safely: size-capped, no aliases, no tags."""
    from nas_surrogate.io import read_regular

    path = Path(path)
    try:
        raw = read_regular(path, MAX_YAML_BYTES, "a YAML file")
        loader = _NoAliasLoader(raw.decode("utf-8"))  # safe: plain YAML types only
        try:
            doc = loader.get_single_data()
        finally:
            loader.dispose()
    except OSError as e:
        raise BadInputError(str(path), f"cannot be read ({e.strerror})") from None
    except UnicodeDecodeError:
        raise BadInputError(str(path), "not UTF-8 text") from None
    except RecursionError:
        raise BadInputError(str(path), "nested too deeply") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(e, "problem", None)
        known = problem == "aliases are not allowed" or "appears twice" in str(problem)
        why = f": {problem}" if known else ""
        raise BadInputError(str(path), f"not valid YAML{where}{why}") from None
    if not isinstance(doc, dict):
        raise BadInputError(str(path), "expected a mapping of option: value")
    return {str(k).replace("-", "_"): v for k, v in doc.items()}


def as_list(value: Any, where: str) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, (str, int)):
        return [value]
    raise BadInputError(where, f"expected a value or a list, got {type(value).__name__}")


def take(doc: dict[str, Any], key: str, kind: type, where: str, default: Any = None) -> Any:
    if key not in doc or doc[key] is None:
        return default
    value = doc[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise BadInputError(f"{where}: {key}", f"expected {kind.__name__}, got {value!r}")
    return value


def check_known(doc: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(doc) - known)
    if unknown:
        from nas_surrogate.registry import did_you_mean

        raise BadInputError(
            f"{where}: {unknown[0]}", f"unknown field{did_you_mean(unknown[0], sorted(known))}"
        )
