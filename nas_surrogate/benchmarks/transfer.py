"""Transfer features: another task's accuracy of each network, as a feature column.

``source:TASK`` in a feature spec reads the table ``TASK`` of the same space (from the
run's data folder, or ``source:TASK@DIR`` from another: a full table, say, for a
725-network target) and gives every target network its accuracy there, matched by the
network (canonical form), not by row. On NAS-Bench-201 the CIFAR-10 accuracy alone
ranks the ImageNet16-120 networks with Kendall tau 0.79.

Policies, stated once: the source must be of the same space and hold every network of
the target (transfer needs each one's source accuracy; a table lacking some is refused,
saying how many); a source of the target's own task (the same dataset from another
folder or file) is refused, as it would hand the labels to the model.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from nas_surrogate.benchmarks.base import Benchmark
from nas_surrogate.errors import BadInputError

#: a source whose accuracy differs from the target's by less than this on most networks
#: (the median) is the target's own table, whatever its name (NB-Suite-Zero's CIFAR-10
#: file and the full table agree exactly on 66 % of their common networks)
SAME_TABLE = 0.05


def source_column(bench: Benchmark, source: Benchmark, name: str) -> np.ndarray:
    """The source's validation accuracy of each of ``bench``'s networks."""
    where = f"feature spec part source:{name}"
    if source.space.name != bench.space.name:
        raise BadInputError(
            where, f"{source.id} is a {source.space.name} table; {bench.id} is {bench.space.name}"
        )
    rows = source.index_of(bench.archs)
    missing = int((rows < 0).sum())
    if missing:
        raise BadInputError(
            where,
            f"{source.id} ({source.n_archs} networks) lacks {missing} of the {bench.n_archs} "
            f"networks of {bench.id}; transfer needs each one's source accuracy (use a full "
            "table: source:TASK@DIR)",
        )
    column = source.val_accuracy[rows].astype(float)
    diff = np.abs(column - bench.val_accuracy)
    diff = diff[np.isfinite(diff)]  # a table of the user's own problem has no accuracies
    if source.task == bench.task or (len(diff) and np.median(diff) < SAME_TABLE):
        raise BadInputError(
            where, f"{source.id} is {bench.id}'s own task: its accuracies are the label"
        )
    return column


def source_location(name: str, data_dir: str | None) -> tuple[str, str | None]:
    """(task, data folder) of one ``source:`` part, ``TASK`` or ``TASK@DIR``."""
    task, _, folder = name.partition("@")
    return task, folder or data_dir


def attach_sources(bench: Benchmark, sources: tuple[str, ...], data_dir: str | None) -> Benchmark:
    """``bench`` with one ``extras`` column per ``source:`` part (``TASK[@DIR]``)."""
    if not sources:
        return bench
    from nas_surrogate.benchmarks import load_benchmark

    extras = dict(bench.extras)
    for name in sources:
        task, folder = source_location(name, data_dir)
        if task == bench.id and "@" not in name:
            raise BadInputError(f"feature spec part source:{name}", "is the target task itself")
        try:
            source = load_benchmark(task, folder)
        except BadInputError as e:  # name the spec part too: the folder may be its @DIR
            raise BadInputError(f"feature spec part source:{name}", f"{e.where}: {e.why}") from None
        extras[f"source:{name}"] = source_column(bench, source, name)
    return replace(bench, extras=extras)
