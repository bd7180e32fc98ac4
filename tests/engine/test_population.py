"""Population: the struct of arrays and its batched operations, on every CPU backend."""

import numpy as np
import pytest

from collapsesim.engine import Population

from engine_helpers import to_numpy


def test_new_and_select(backend):
    pop = Population.new(np.arange(12.0).reshape(4, 3), fitness=np.array([1.0, 2, 3, 4]), backend=backend)
    assert pop.size == 4 and not pop.batched
    assert to_numpy(pop.parent).tolist() == [-1] * 4
    assert to_numpy(pop.founder).tolist() == [0, 1, 2, 3] == to_numpy(pop.label).tolist()
    child = pop.select(np.array([3, 3, 0, 1]))
    assert to_numpy(child.state)[:, 0].tolist() == [9, 9, 0, 3]
    assert to_numpy(child.parent).tolist() == [3, 3, 0, 1]
    assert to_numpy(child.fitness).tolist() == [4, 4, 1, 2]
    grandchild = child.select(np.array([0, 2]))
    assert to_numpy(grandchild.founder).tolist() == [3, 0]
    assert to_numpy(grandchild.parent).tolist() == [0, 2]
    mutated = grandchild.replace(state=grandchild.state * 0)
    assert to_numpy(mutated.state).sum() == 0 and mutated.founder is grandchild.founder


def test_batched_select(backend):
    state = np.arange(24.0).reshape(2, 4, 3)
    pop = Population.new(state, label=np.array([[5, 5, 6, 6], [7, 8, 9, 9]]), backend=backend, batched=True)
    assert pop.batched and pop.size == 4
    child = pop.select(np.array([[0, 0, 3], [1, 2, 2]]))
    assert to_numpy(child.state)[:, :, 0].tolist() == [[0, 0, 9], [15, 18, 18]]
    assert to_numpy(child.label).tolist() == [[5, 5, 6], [8, 9, 9]]
    assert to_numpy(child.founder).tolist() == [[0, 0, 3], [1, 2, 2]]


def _fields(pop):
    """Every tracked field as numpy (None where not tracked)."""
    return {name: None if getattr(pop, name) is None else to_numpy(getattr(pop, name))
            for name in ("state", "fitness", "parent", "label", "founder")}


def _random_pop(backend, rng, R=3, n=5, D=2, founders=True):
    """A batched population whose every field differs from row to row: a
    generation of resampling from a founding one, so parent, label and founder
    are all non-trivial."""
    pop = Population.new(rng.normal(size=(R, n, D)), fitness=rng.normal(size=(R, n)),
                         label=rng.integers(0, 100, (R, n)) if founders else None,
                         backend=backend, batched=True, founders=founders)
    return pop.select(rng.integers(0, n, (R, n)))


@pytest.mark.parametrize("founders", [True, False])
def test_take_moves_every_field_and_carries_parent(backend, founders):
    rng = np.random.default_rng(0)
    pop = _random_pop(backend, rng, founders=founders)
    before = _fields(pop)
    idx = rng.integers(0, 5, (3, 7))
    out = _fields(pop.take(idx))
    rows = np.arange(3)[:, None]
    for name, a in before.items():
        if a is None:
            assert out[name] is None
        else:  # row (r, j) of every field, parent included, is row (r, idx[r, j]) of the source
            np.testing.assert_array_equal(out[name], a[rows, idx])
    assert pop.take(idx).size == 7
    # select is take with parent set to the indices
    sel = _fields(pop.select(idx))
    assert sel["parent"].tolist() == idx.tolist()
    np.testing.assert_array_equal(sel["state"], out["state"])
    if founders:
        np.testing.assert_array_equal(sel["founder"], out["founder"])
    for name, a in _fields(pop).items():  # the source is not modified
        if a is not None:
            np.testing.assert_array_equal(a, before[name])


def test_take_and_select_unbatched(backend):
    pop = Population.new(np.arange(10.0).reshape(5, 2), fitness=np.array([5.0, 4, 3, 2, 1]), backend=backend)
    pop = pop.select(np.array([4, 4, 1, 0, 2]))
    out = pop.take(np.array([2, 0]))
    assert to_numpy(out.state).tolist() == [[2, 3], [8, 9]]
    assert to_numpy(out.fitness).tolist() == [4, 1]
    assert to_numpy(out.parent).tolist() == [1, 4]  # carried, not reset
    assert to_numpy(out.founder).tolist() == [1, 4] == to_numpy(out.label).tolist()


@pytest.mark.parametrize("founders", [True, False])
def test_put_overwrites_slots_in_every_field(backend, founders):
    rng = np.random.default_rng(1)
    pop, other = _random_pop(backend, rng, founders=founders), _random_pop(backend, rng, n=2, founders=founders)
    a, b = _fields(pop), _fields(other)
    slots = np.array([[4, 0], [1, 3], [2, 1]])
    out = _fields(pop.put(slots, other))
    for name in a:
        if a[name] is None:
            assert out[name] is None
            continue
        expect = a[name].copy()
        for r in range(3):
            for j in range(2):
                expect[r, slots[r, j]] = b[name][r, j]
        np.testing.assert_array_equal(out[name], expect)
    np.testing.assert_array_equal(_fields(pop)["state"], a["state"])  # a copy: the source is kept


def test_put_keeps_uint64_bits(backend):
    """Packed bit genomes (uint64, high bit set) survive put/take/concatenate bit for bit."""
    bits = np.array([[[2 ** 64 - 1, 1], [2 ** 63, 5], [7, 2 ** 63 + 3]]], dtype=np.uint64)
    pop = Population.new(bits, fitness=np.array([[0.0, 1, 2]]), backend=backend, batched=True)
    moved = pop.put(np.array([[0]]), pop.take(np.array([[2]])))
    assert to_numpy(moved.state).dtype == np.uint64
    assert to_numpy(moved.state)[0].tolist() == [[7, 2 ** 63 + 3], [2 ** 63, 5], [7, 2 ** 63 + 3]]
    assert to_numpy(moved.founder).tolist() == [[2, 1, 2]]
    both = pop.concatenate(moved)
    assert to_numpy(both.state)[0, [0, 3]].tolist() == [[2 ** 64 - 1, 1], [7, 2 ** 63 + 3]]


def test_concatenate_along_the_individual_axis(backend):
    rng = np.random.default_rng(2)
    pop, other = _random_pop(backend, rng, n=4), _random_pop(backend, rng, n=2)
    a, b, out = _fields(pop), _fields(other), _fields(pop.concatenate(other))
    for name in a:
        np.testing.assert_array_equal(out[name], np.concatenate([a[name], b[name]], axis=1))
    assert pop.concatenate(other).size == 6
    flat = Population.new(np.arange(6.0).reshape(3, 2), backend=backend)
    both = flat.concatenate(flat.select(np.array([2])))
    assert to_numpy(both.state)[:, 0].tolist() == [0, 2, 4, 4]
    assert to_numpy(both.parent).tolist() == [-1, -1, -1, 2]
    assert to_numpy(both.founder).tolist() == [0, 1, 2, 2]


def test_index_and_apply(backend):
    rng = np.random.default_rng(3)
    pop = _random_pop(backend, rng)
    assert to_numpy(pop.index).tolist() == [[0, 1, 2, 3, 4]] * 3
    assert to_numpy(Population.new(np.zeros((4, 1)), backend=backend).index).tolist() == [0, 1, 2, 3]
    # a plus-style pool: survivors are their own parents, then the best of the pool is taken
    pool = pop.replace(parent=pop.index).concatenate(pop.select(rng.integers(0, 5, (3, 5))))
    assert to_numpy(pool.parent)[:, :5].tolist() == [[0, 1, 2, 3, 4]] * 3
    a = _fields(pop)
    rolled = _fields(pop.apply(lambda x: backend.xp.roll(x, 1, 0)))
    for name in a:  # replicate r's rows move to replicate r + 1, every field alike
        np.testing.assert_array_equal(rolled[name], np.roll(a[name], 1, 0))
