"""Genealogy (path storage): against a brute-force O(N·T) reference and the coalescent."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collapsesim.engine import Genealogy, get_backend
from collapsesim.engine.genealogy import expected_stored_nodes


class BruteForce:
    """Every generation's parent indices kept (O(N·T)); ancestors found by walking up."""

    def __init__(self, n):
        self.n0, self.history = n, []

    def update(self, parents):
        self.history.append(np.asarray(parents))

    def ancestors(self, lag):
        current = np.arange(len(self.history[-1]) if self.history else self.n0)
        for parents in self.history[len(self.history) - lag :][::-1]:
            current = np.unique(parents[current])
        return current

    def counts(self):
        return np.array([len(self.ancestors(lag)) for lag in range(len(self.history), -1, -1)])

    def founders(self):
        label = np.arange(self.n0)
        for parents in self.history:
            label = label[parents]
        return label


@st.composite
def histories(draw):
    n0 = draw(st.integers(1, 10))
    sizes = draw(st.lists(st.integers(1, 10), max_size=30))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    history, previous = [], n0
    for size in sizes:
        history.append(rng.integers(0, previous, size))
        previous = size
    return n0, history


@settings(max_examples=150, deadline=None)
@given(histories())
def test_against_brute_force(case):
    n0, history = case
    g, ref = Genealogy(n0), BruteForce(n0)
    for parents in history:
        g.update(parents)
        ref.update(parents)
        counts = ref.counts()
        assert np.array_equal(g.ancestor_counts(), counts)
        assert g.n_nodes == counts.sum()
    assert g.generation == len(history)
    for lag in range(g.generation + 1):
        assert g.distinct_ancestors(lag) == len(ref.ancestors(lag))
    assert np.array_equal(g.founders, ref.founders())
    assert np.array_equal(g.surviving_founders(), np.unique(ref.founders()))
    assert np.array_equal(g.surviving_founders(), ref.ancestors(g.generation))
    single = [lag for lag in range(g.generation + 1) if len(ref.ancestors(lag)) == 1]
    assert g.tmrca() == (min(single) if single else None)
    _check_tree(g, ref)


def _check_tree(g, ref):
    tree = g.tree()
    n = g.n_nodes
    assert all(len(tree[k]) == n for k in ("parent", "time", "index"))
    order = np.lexsort((tree["index"], tree["time"]))
    assert np.array_equal(order, np.arange(n))
    for s in range(g.generation + 1):
        at = tree["time"] == s
        assert np.array_equal(tree["index"][at], ref.ancestors(g.generation - s))
    has_parent = tree["parent"] >= 0
    assert np.array_equal(~has_parent, tree["time"] == 0)
    assert np.all(tree["time"][tree["parent"][has_parent]] == tree["time"][has_parent] - 1)
    for s in range(1, g.generation + 1):
        at = np.flatnonzero(tree["time"] == s)
        assert np.array_equal(tree["index"][tree["parent"][at]], ref.history[s - 1][tree["index"][at]])
    assert np.array_equal(tree["index"][tree["leaves"]], np.arange(g.size))
    assert np.all(tree["time"][tree["leaves"]] == g.generation)


def test_small_example():
    g = Genealogy(3)
    assert g.tmrca() is None and g.n_nodes == 3
    g.update([0, 0, 2])
    assert g.n_nodes == 5 and g.ancestor_counts().tolist() == [2, 3]
    g.update([1, 1])
    assert g.ancestor_counts().tolist() == [1, 1, 2] and g.n_nodes == 4
    assert g.tmrca() == 1 and g.surviving_founders().tolist() == [0]
    g.update([0])
    assert g.tmrca() == 0 and g.distinct_ancestors(3) == 1


def test_errors():
    with pytest.raises(ValueError):
        Genealogy(0)
    g = Genealogy(4)
    for bad in ([4], [-1], [], [[0, 1]]):
        with pytest.raises(ValueError):
            g.update(bad)
    with pytest.raises(ValueError):
        g.distinct_ancestors(1)


def test_accepts_torch_indices():
    torch = pytest.importorskip("torch")
    g = Genealogy(5)
    g.update(torch.tensor([0, 0, 1, 1, 4]))
    assert g.ancestor_counts().tolist() == [3, 5]


@settings(max_examples=60, deadline=None)
@given(histories(), st.integers(1, 7))
def test_device_updates_equal_host_updates(case, query_every):
    """Torch updates, buffered and flushed at queries (at any spacing, over varying
    sizes), give the same tree as host updates, with no transfer per update."""
    torch = pytest.importorskip("torch")
    n0, history = case
    host, dev = Genealogy(n0), Genealogy(n0)
    for k, parents in enumerate(history, 1):
        host.update(parents)
        dev.update(torch.as_tensor(parents))
        assert dev.generation == host.generation and dev.size == host.size
        if k % query_every == 0:
            assert dev.n_nodes == host.n_nodes
            assert not dev._pending
    assert np.array_equal(dev.ancestor_counts(), host.ancestor_counts())
    assert np.array_equal(dev.founders, host.founders)
    assert dev.tmrca() == host.tmrca()
    for key, value in host.tree().items():
        assert np.array_equal(dev.tree()[key], value)


def test_device_updates_are_not_moved_until_queried(monkeypatch):
    torch = pytest.importorskip("torch")
    moved = []
    cpu = torch.Tensor.cpu
    monkeypatch.setattr(torch.Tensor, "cpu", lambda self, *a, **k: moved.append(1) or cpu(self, *a, **k))
    g = Genealogy(4)
    for _ in range(5):
        g.update(torch.tensor([0, 0, 1, 2]))
    assert not moved and g.generation == 5
    assert g.distinct_ancestors(5) == 1
    assert len(moved) == 1  # all five generations in one transfer


def test_device_updates_flush_past_the_pending_limit(monkeypatch):
    torch = pytest.importorskip("torch")
    from collapsesim.engine import genealogy

    monkeypatch.setattr(genealogy, "PENDING_LIMIT", 10)
    g = Genealogy(4)
    g.update(torch.tensor([0, 1, 2, 3]))
    g.update(torch.tensor([0, 1, 2, 3]))
    assert len(g._pending) == 2
    g.update(torch.tensor([0, 0, 0, 0]))
    assert not g._pending and g.distinct_ancestors(3) == 1


def test_bad_device_indices_raise_at_the_query():
    torch = pytest.importorskip("torch")
    g = Genealogy(3)
    g.update(torch.tensor([0, 1, 2]))
    g.update(torch.tensor([0, 5, 1]))
    g.update(torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError):
        g.n_nodes
    assert g.generation == 2  # the bad generation is dropped, the last one still pending
    with pytest.raises(ValueError):
        g.update(torch.zeros((2, 2), dtype=torch.int64))


def test_expected_stored_nodes_matches_kingman():
    """The exact discrete value is close to the coalescent approximation
    T + 1 + 2N·H_{N-1} − 2(N−1) (the discrete chain coalesces slightly slower)."""
    for n in (100, 1000):
        harmonic = np.sum(1.0 / np.arange(1, n))
        kingman = 1 + 2 * n * harmonic - 2 * (n - 1)
        exact = expected_stored_nodes(n, 0)
        assert 0 < exact - kingman < 0.03 * kingman


def _stored_nodes(n, generations, reps, seed):
    be = get_backend("numba")
    rng = be.rng(seed)
    weights = np.ones(n)
    sizes = []
    for _ in range(reps):
        g = Genealogy(n)
        for _ in range(generations):
            g.update(be.resample(weights, n, "multinomial", rng))
        sizes.append(g.n_nodes)
    return np.array(sizes)


def _check_mean(sizes, n, generations):
    expected = expected_stored_nodes(n, generations)
    se = sizes.std(ddof=1) / np.sqrt(len(sizes))
    assert abs(sizes.mean() - expected) < 3 * se, (sizes.mean(), expected, se)
    assert 1.3 * n < sizes.std(ddof=1) < 2.0 * n  # sd ≈ 2N·sqrt(π²/6 − 1) ≈ 1.61N


def test_stored_nodes_against_theory_n100():
    """N = 100, T = 10N: E[n_nodes] − T = 857.9 (1035.5 = 2N·H_{N−1} is the tree
    length alone; the MRCA's ~2N generations are counted once, in T + 1)."""
    _check_mean(_stored_nodes(100, 1000, 200, seed=1), 100, 1000)


@pytest.mark.slow
def test_stored_nodes_against_theory_n1000():
    _check_mean(_stored_nodes(1000, 10_000, 60, seed=2), 1000, 10_000)


def test_memory_stays_near_t_plus_n_log_n():
    g = Genealogy(200)
    rng = np.random.default_rng(3)
    for _ in range(5000):
        g.update(rng.integers(0, 200, 200))
    assert g.n_nodes < 5000 + 10 * 200 * np.log(200)
    assert g._parent.shape[0] <= 4 * (5000 + 10 * 200 * np.log(200))
