"""The results store: append-only journal with typed keys, a cut last line ignored, a
unit stored twice counted once, and one writer per folder."""

from __future__ import annotations

import json

import pytest

from nas_surrogate.errors import BadInputError
from nas_surrogate.store import ResultsStore

KEYS = ["benchmark", "seed"]


def rows(seed: int, n: int = 2) -> list[dict]:
    return [{"benchmark": "b", "seed": seed, "step": i, "tau": 0.5 + seed} for i in range(n)]


def test_keys_keep_their_types_and_a_cut_line_is_not_a_unit(tmp_path):
    store = ResultsStore(tmp_path / "results.csv", KEYS)
    store.add_many(rows(0))
    store.add_many(rows(1))
    store.close()
    journal = tmp_path / "results.jsonl"
    text = journal.read_text()
    journal.write_text(text + text.splitlines()[0][:25])  # a kill mid-write of a third unit
    again = ResultsStore(tmp_path / "results.csv", KEYS)
    assert again.done_keys() == {("b", "0"), ("b", "1")}
    assert again.frame().seed.dtype.kind == "i" and len(again) == 4
    again.close()


def test_a_unit_stored_twice_counts_once(tmp_path):
    store = ResultsStore(tmp_path / "results.csv", KEYS)
    store.add_many(rows(0))
    store.add_many(rows(0))  # e.g. rescheduled by dask after a worker died
    store.close()
    journal = tmp_path / "results.jsonl"
    journal.write_text(journal.read_text() * 2)  # or a duplicated journal
    again = ResultsStore(tmp_path / "results.csv", KEYS)
    assert len(again) == 2 and len(again.frame()) == 2
    again.close()


def test_second_writer_is_refused_until_the_first_closes(tmp_path):
    first = ResultsStore(tmp_path / "results.csv", KEYS)
    with pytest.raises(BadInputError, match="another run is writing"):
        ResultsStore(tmp_path / "results.csv", KEYS)
    first.close()
    ResultsStore(tmp_path / "results.csv", KEYS).close()


def test_a_damaged_line_in_the_middle_is_bad_input(tmp_path):
    journal = tmp_path / "results.jsonl"
    journal.write_text("garbage\n" + json.dumps({"rows": rows(0)}) + "\n")
    with pytest.raises(BadInputError, match="results.jsonl:1"):
        ResultsStore(tmp_path / "results.csv", KEYS)


def test_a_cut_journal_is_repaired_at_every_byte_of_its_last_two_lines(tmp_path):
    """A kill or a full disk cuts the last line anywhere: the next open keeps every
    complete unit, drops the cut one, and what is appended after it reads back."""
    from nas_surrogate.store import ResultsStore

    base = tmp_path / "base"
    base.mkdir()
    store = ResultsStore(base / "results.csv", ["seed"])
    for seed in range(3):
        store.add_many([{"seed": seed, "step": s, "v": 0.5 * s} for s in range(3)])
    store.close()
    data = (base / "results.jsonl").read_bytes()
    lines = data.split(b"\n")
    start = len(data) - len(lines[-2]) - len(lines[-3]) - 2  # the last two lines
    end1 = start + len(lines[-3]) + 1  # past the newline of the second-to-last one
    for cut in range(start, len(data) + 1):
        folder = tmp_path / f"cut{cut}"
        folder.mkdir()
        (folder / "results.jsonl").write_bytes(data[:cut])
        store = ResultsStore(folder / "results.csv", ["seed"])
        kept = {k[0] for k in store.done_keys()}
        whole = 3 if cut == len(data) else 2 if cut >= end1 else 1  # units with a newline
        assert kept == {str(s) for s in range(whole)}, cut
        store.add_many([{"seed": 9, "step": 0, "v": 1.0}])
        store.close()
        again = ResultsStore(folder / "results.csv", ["seed"])
        assert {k[0] for k in again.done_keys()} == kept | {"9"}
        again.close()


def test_a_failed_write_leaves_the_journal_as_it_was(tmp_path, monkeypatch):
    import builtins
    import errno

    from nas_surrogate.errors import BadInputError
    from nas_surrogate.store import ResultsStore

    store = ResultsStore(tmp_path / "results.csv", ["seed"])
    store.add_many([{"seed": 0, "v": 1.0}])
    before = (tmp_path / "results.jsonl").read_bytes()
    real_open = builtins.open

    class Full:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, text):
            self.f.write(text[: len(text) // 2])  # half a line reaches the disk
            self.f.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

    def opener(path, mode="r", *args, **kwargs):
        f = real_open(path, mode, *args, **kwargs)
        return Full(f) if str(path).endswith(".jsonl") and "a" in mode else f

    monkeypatch.setattr(builtins, "open", opener)
    with pytest.raises(BadInputError, match="No space left"):
        store.add_many([{"seed": 1, "v": 2.0}])
    monkeypatch.setattr(builtins, "open", real_open)
    assert (tmp_path / "results.jsonl").read_bytes() == before
    assert store.done_keys() == {("0",)}
    store.add_many([{"seed": 1, "v": 2.0}])  # space freed: it goes on
    store.close()
    assert ResultsStore(tmp_path / "results.csv", ["seed"]).done_keys() == {("0",), ("1",)}
