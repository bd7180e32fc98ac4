"""Population (struct of arrays) and the functional operator API."""

import numpy as np
import pytest

from collapsesim import engine
from collapsesim.engine import Population, get_backend

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


def test_operators_dispatch():
    w = np.array([0.0, 1.0, 3.0])
    for name in ("numpy", "numba", "torch"):
        idx = to_numpy(engine.resample(w, 4, "systematic", rng=1, backend=name))
        assert idx.shape == (4,) and set(idx) <= {1, 2}
        assert to_numpy(engine.resample(w, rng=2, backend=name)).shape == (3,)
        assert to_numpy(engine.truncation(w, 2, backend=name)).tolist() == [2, 1]
    be = get_backend("numba")
    a = engine.tournament(w, 5, 2, rng=be.rng(3), backend=be)
    b = be.tournament(w, 5, 2, be.rng(3))
    assert np.array_equal(a, b)
    with pytest.raises(TypeError, match="rng is required"):
        engine.proportional(w, rng=None)


@pytest.mark.parametrize("name", ["numpy", "numba", "torch"])
def test_operator_functions_run(name):
    rng = np.random.SeedSequence(4)
    x = np.zeros((6, 3))
    g = np.zeros((6, 2), np.uint64)
    assert to_numpy(engine.multinomial_counts(10, [1, 1], rng=rng, backend=name)).sum() == 10
    assert to_numpy(engine.proportional(np.ones(6), rng=rng, backend=name)).shape == (6,)
    assert to_numpy(engine.tournament(np.ones(6), k=3, rng=rng, backend=name)).shape == (6,)
    assert to_numpy(engine.gaussian_mutation(x, 1.0, rng=rng, rate=0.5, backend=name)).shape == x.shape
    assert to_numpy(engine.bitflip_mutation(g, 100, 0.5, rng=rng, backend=name)).dtype == np.uint64
    assert len(engine.uniform_crossover(x, x, rng=rng, backend=name)) == 2
    assert len(engine.one_point_crossover(g, g, rng=rng, n_genes=100, backend=name)) == 2
