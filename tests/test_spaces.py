"""Search spaces: arch strings round-trip, and sampling, mutation and neighbours stay valid."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nas_surrogate import get_space, load_benchmark
from nas_surrogate.errors import BadInputError
from nas_surrogate.spaces import SPACES

NBSZ_FILES = {
    "nasbench201": "zc_nasbench201.json",
    "nasbench301": "zc_nasbench301.json",
    "transbench101_micro": "zc_transbench101_micro.json",
    "transbench101_macro": "zc_transbench101_macro.json",
}


@pytest.mark.parametrize("space_name", sorted(NBSZ_FILES))
def test_every_arch_string_round_trips(space_name, data_dir):
    space = get_space(space_name)
    data = json.loads((data_dir / NBSZ_FILES[space_name]).read_text())
    strings = {a for task in data.values() for a in task}
    for text in strings:
        assert space.format(space.parse(text)) == text


def test_nb101_arch_strings_round_trip(data_dir):
    space = get_space("nasbench101")
    data = json.loads((data_dir / "zc_nasbench101.json").read_text())["nasbench101"]["cifar10"]
    for text in data:
        assert space.format(space.parse(text)) == text


@pytest.mark.parametrize(
    "space_name,n_valid",
    [
        ("nasbench201", 15625),
        ("transbench101_micro", 4096),
        ("transbench101_macro", 3256),  # TransNAS-Bench-101's macro space size
        ("nasbenchgraph", 26206),  # NAS-Bench-Graph's benchmark size
        ("nasbenchgraph_proteins", 2021),
    ],
)
def test_product_space_sizes(space_name, n_valid):
    assert len(get_space(space_name).all_archs()) == n_valid


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), space_name=st.sampled_from(SPACES.names()))
def test_sample_mutate_neighbours_stay_valid(seed, space_name):
    space = get_space(space_name)
    rng = np.random.default_rng(seed)
    archs = space.sample(8, rng)
    assert archs.shape == (8, space.arch_dim)
    assert space.is_valid(archs).all()
    children = space.mutate(archs, rng)
    assert space.is_valid(children).all()
    assert not (children == archs).all(axis=1).any()  # a mutation always changes something
    nbrs = space.neighbours(archs[0])
    assert len(nbrs) > 0 and space.is_valid(nbrs).all()
    assert len({tuple(r) for r in nbrs}) == len(nbrs)  # unique rows
    assert not (nbrs == archs[0]).all(axis=1).any()  # never the arch itself


def test_sampling_is_seeded():
    space = get_space("nasbench301")
    a = space.sample(5, np.random.default_rng(7))
    b = space.sample(5, np.random.default_rng(7))
    assert (a == b).all()


def test_nb201_neighbourhood_is_complete():
    space = get_space("nasbench201")
    nbrs = space.neighbours(np.array([0, 1, 2, 3, 4, 0]))
    assert len(nbrs) == 6 * 4  # every other op on every edge
    assert ((nbrs != np.array([0, 1, 2, 3, 4, 0])).sum(axis=1) == 1).all()


def test_nb101_key_is_isomorphism_invariant():
    space = get_space("nasbench101")
    # input -> 1 -> output, input -> 2 -> output with conv3x3 at 1 and conv1x1 at 2 ...
    adj = np.zeros((7, 7), dtype=int)
    adj[0, 1] = adj[0, 2] = adj[1, 6] = adj[2, 6] = 1
    a = np.concatenate([adj.ravel(), [0, 2, 3, 4, 4, 4, 1]])
    # ... is the same network as the one with nodes 1 and 2 swapped
    b = np.concatenate([adj.ravel(), [0, 3, 2, 4, 4, 4, 1]])
    assert space.key(a) == space.key(b)
    # dangling nodes 3..5 do not matter (pruned), but changing a live op does
    c = a.copy()
    c[49 + 1] = 4
    assert space.key(c) != space.key(a)


def test_nb101_validity_rules():
    space = get_space("nasbench101")
    adj = np.zeros((7, 7), dtype=int)
    adj[0, 6] = 1
    ok = np.concatenate([adj.ravel(), [0, 2, 2, 2, 2, 2, 1]])
    assert space.is_valid(ok)[0]
    lower = ok.copy()
    lower[6 * 7 + 0] = 1  # an edge below the diagonal
    disconnected = ok.copy()
    disconnected[6] = 0  # no path from input to output
    assert not space.is_valid(np.stack([lower, disconnected])).any()


def test_nb301_edge_order_does_not_change_key():
    space = get_space("nasbench301")
    a = space.sample(1, np.random.default_rng(0))[0]
    b = a.copy().reshape(2, 8, 2)
    b[:, [0, 1]] = b[:, [1, 0]]  # swap node 0's two edges in both cells
    assert space.key(a) == space.key(b.ravel())


@pytest.mark.parametrize(
    "space_name,text",
    [
        ("nasbench201", "(0, 1, 2)"),
        ("nasbench201", "(0, 1, 2, 3, 4, 9)"),
        ("nasbench201", "not an arch"),
        ("nasbench101", "(1, 2)"),
        ("nasbench301", "[[(0, 0)]]"),
        ("transbench101_macro", "(1, 1, 1, 1, 0, 0)"),  # no downsampling at all
        ("nasbenchgraph", "([0, 0, 0, 0], ['gcn', 'gcn', 'oops', 'gcn'])"),
    ],
)
def test_bad_arch_strings_raise_bad_input(space_name, text):
    with pytest.raises(BadInputError) as err:
        get_space(space_name).parse(text)
    assert text in str(err.value)


def test_demo_equals_the_full_table(full_data_dir):
    full = load_benchmark("nasbench201/cifar10", full_data_dir)
    from nas_surrogate.benchmarks.demo import load_demo

    demo = load_demo()
    rows = full.index_of(demo.archs)
    assert (rows >= 0).all() and len(np.unique(rows)) == full.n_archs == demo.n_archs
    assert np.array_equal(full.val_accuracy[rows], demo.val_accuracy)
    assert np.array_equal(full.proxy_scores[rows], demo.proxy_scores, equal_nan=True)


def test_nas_bench_201_strings_parse_to_the_compact_cell(full_data_dir):
    """NB201 / NATS-Bench / HW-NAS-Bench strings name edges by target node; the only
    edge from input to output is (1,4): a cell of that skip alone is a live network, one
    of (2,3) alone is dead (10 %, chance)."""
    from nas_surrogate.benchmarks import load_benchmark
    from nas_surrogate.errors import BadInputError
    from nas_surrogate.spaces import get_space
    from nas_surrogate.spaces.nb201 import format_nb201_string

    space = get_space("nasbench201")
    text = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"  # noqa: E501
    assert space.parse(text).tolist() == [2, 2, 0, 2, 2, 2]
    assert format_nb201_string(space.parse(text)) == text
    for arch in space.all_archs()[::97]:
        assert space.parse(format_nb201_string(arch)).tolist() == arch.tolist()
    bench = load_benchmark("nasbench201/cifar10", full_data_dir)
    acc = {}
    cells = {"1-4": "|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|",
             "2-3": "|none~0|+|none~0|skip_connect~1|+|none~0|none~1|none~2|"}  # fmt: skip
    for edge, s in cells.items():
        acc[edge] = bench.val_accuracy[bench.index_of(space.parse(s)[None])[0]]
    assert acc["1-4"] > 50 and acc["2-3"] == 10.0
    with pytest.raises(BadInputError, match="expected OP~1"):
        space.parse("|none~0|+|none~0|none~0|+|none~0|none~1|none~2|")
    with pytest.raises(BadInputError, match="one of"):
        space.parse("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|")
