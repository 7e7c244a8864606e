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
