"""The beam domain's decoders against exact answers on toy language models:
width 1 is greedy, a width holding every prefix is exhaustive search, no beam
beats the exact best, search error falls with the width, sampling follows the
warped softmax, stochastic beam search samples sets without replacement with
the exact probabilities, and the beams' TMRCA on the random tree grows faster
than ln B. Tolerances are binomial/chi-square with fixed seeds."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from collapsesim.domains.beam import BeamParams, BeamSimulation
from collapsesim.domains.beam.lms import MixtureLM, TreeLM, log_softmax
from collapsesim.domains.beam.theory import enumerate_sequences, inclusion_probabilities
from collapsesim.engine import get_backend

BACKENDS = ["numpy", "numba", "torch"]


def run(steps=0, backend="numpy", seed=0, **params):
    sim = BeamSimulation(BeamParams(**params), get_backend(backend), np.random.SeedSequence(seed))
    for _ in range(steps):
        sim.step()
    return sim


def lp_of(sim):
    return sim.backend.to_numpy(sim.lp)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("lm", [{"kind": "mixture", "V": 6, "K": 3, "sharpness": 1.0},
                                {"kind": "tree", "V": 4}])
def test_width_one_is_greedy(backend, lm):
    for seed in range(5):
        kw = dict(lm=lm, lm_seed=seed, width=1, steps=12, backend=backend, seed=seed)
        g, b = run(decoder="greedy", **kw), run(decoder="beam", **kw)
        np.testing.assert_array_equal(g.tokens, b.tokens)
        assert lp_of(g)[0] == pytest.approx(lp_of(b)[0], abs=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_width_holding_every_prefix_is_exhaustive_search(backend):
    # mixture K = 2, V = 3: 2·3·3 = 18 sequences of 3 tokens; B = 18 keeps them all,
    # so the step to 4 tokens keeps exactly the 18 best of the 54 sequences
    lm = {"kind": "mixture", "V": 3, "K": 2, "sharpness": 1.5}
    sim = run(lm=lm, decoder="beam", width=18, backend=backend)
    assert sim.t0 == 3
    sim.step()
    seqs, lp = enumerate_sequences(MixtureLM(BeamParams(lm=lm).lm, 0), 4)
    best = np.argsort(-lp, kind="stable")[:18]
    assert {tuple(s) for s in seqs[best]} == {tuple(s) for s in sim.tokens}
    np.testing.assert_allclose(np.sort(lp_of(sim)), np.sort(lp[best]), atol=1e-12)
    # and on the tree: V = 3, B = 9 holds every 2-token prefix
    sim = run(lm={"kind": "tree", "V": 3}, decoder="beam", width=9, backend=backend, seed=4)
    sim.step()
    seqs, lp = enumerate_sequences(sim.lm, 3)
    best = np.argsort(-lp, kind="stable")[:9]
    assert {tuple(s) for s in seqs[best]} == {tuple(s) for s in sim.tokens}


@pytest.mark.parametrize("decoder", ["greedy", "beam", "diverse", "sample", "stochastic",
                                     "beam_sample"])
def test_no_hypothesis_beats_the_exact_best(decoder):
    lm = {"kind": "mixture", "V": 5, "K": 3, "sharpness": 1.0}
    for seed in range(4):
        sim = run(lm=lm, lm_seed=seed, decoder=decoder, width=1 if decoder == "greedy" else 6,
                  groups=3, seed=seed)
        exact = MixtureLM(sim.params.lm, seed)
        for _ in range(6):
            sim.step()
            L = sim.tokens.shape[1]
            assert lp_of(sim).max() <= exact.best_logprob(L) + 1e-9
            # the hypotheses' log-probabilities are the exact ones
            for row, v in zip(sim.tokens, lp_of(sim)):
                assert v == pytest.approx(exact.sequence_logprob(row), abs=1e-9)
    sim = run(lm={"kind": "tree", "V": 3}, decoder="beam", width=4, seed=2, steps=3)
    _, lp = enumerate_sequences(sim.lm, sim.tokens.shape[1])
    assert lp_of(sim).max() <= lp.max() + 1e-12


def test_search_error_falls_with_width():
    """Over 40 mixture LMs (lm_seed), the fraction whose exact best 6-token
    sequence is missed: greedy misses it often, B = 16 less often (two-sided
    Fisher test at 1e-3), and B = K·V^4 (every 5-token prefix kept) never."""
    lm = {"kind": "mixture", "V": 4, "K": 3, "sharpness": 1.0, "weights": [0.4, 0.35, 0.25]}
    err = {}
    for B in (1, 16, 3 * 4 ** 4):
        e = []
        for s in range(40):
            sim = run(lm=lm, lm_seed=s, decoder="greedy" if B == 1 else "beam", width=B)
            while sim.tokens.shape[1] < 6:
                sim.step()
            e.append(sim.observe().metrics["search_error"])
        err[B] = int(sum(e))
    assert err[3 * 4 ** 4] == 0
    assert err[1] > err[16]
    assert stats.fisher_exact([[err[1], 40 - err[1]], [err[16], 40 - err[16]]])[1] < 1e-3


def _warped(logp, T, top_k, top_p):
    """transformers' temperature, top-k and top-p warpers, written out with a loop."""
    z = logp / T
    keep = np.ones(len(z), bool)
    if top_k:
        keep &= z >= np.sort(z)[::-1][top_k - 1]
    p = np.exp(z - z.max())
    p /= p.sum()
    if top_p < 1:
        order = np.argsort(-z, kind="stable")
        mass, nucleus = 0.0, np.zeros(len(z), bool)
        for i in order:
            if mass >= top_p:
                break
            nucleus[i] = True
            mass += p[i]
        keep &= nucleus
    q = np.where(keep, p, 0.0)
    return q / q.sum()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("T,top_k,top_p", [(1.0, 0, 1.0), (0.6, 0, 1.0), (1.5, 3, 1.0),
                                           (1.0, 0, 0.85), (0.8, 5, 0.95)])
def test_sampling_follows_the_warped_softmax(backend, T, top_k, top_p):
    n = 4000
    sim = run(lm={"kind": "tree", "V": 8, "sigma": 0.7}, decoder="sample", width=n,
              temperature=T, top_k=top_k, top_p=top_p, backend=backend, seed=11)
    root = sim.lm.logprobs(sim.lm.root(1))[0]
    q = _warped(root, T, top_k, top_p)
    counts = np.bincount(sim.tokens[:, 0], minlength=8)
    assert counts[q == 0].sum() == 0
    assert (q > 0).sum() >= 2  # a real test of the law, not of one token
    pval = stats.chisquare(counts[q > 0], n * q[q > 0]).pvalue
    assert pval > 1e-3


def test_stochastic_beam_search_samples_sets_without_replacement():
    """Mixture K = 2, V = 2: four 2-token sequences; stochastic beam search of
    width 2 returns a pair, which must follow the successive-sampling law
    P({i, j}) = p_i p_j/(1 − p_i) + p_j p_i/(1 − p_j) (chi-square, 5 df), and
    each sequence's inclusion frequency its exact inclusion probability."""
    lm = {"kind": "mixture", "V": 2, "K": 2, "sharpness": 1.5, "weights": [0.7, 0.3]}
    seqs, lp = enumerate_sequences(MixtureLM(BeamParams(lm=lm).lm, 3), 2)
    p = np.exp(lp)
    pairs = list(itertools.combinations(range(4), 2))
    expected = np.array([p[i] * p[j] / (1 - p[i]) + p[j] * p[i] / (1 - p[j]) for i, j in pairs])
    index = {tuple(s): k for k, s in enumerate(seqs)}
    R = 3000
    counts = np.zeros(len(pairs))
    incl = np.zeros(4)
    for r in range(R):
        sim = run(lm=lm, lm_seed=3, decoder="stochastic", width=2, seed=r, steps=1)
        got = tuple(sorted(index[tuple(t)] for t in sim.tokens))
        counts[pairs.index(got)] += 1
        incl[list(got)] += 1
    assert stats.chisquare(counts, R * expected).pvalue > 1e-3
    pi = inclusion_probabilities(p, 2)
    np.testing.assert_allclose(pi, [expected[[k for k, pr in enumerate(pairs) if i in pr]].sum()
                                    for i in range(4)], atol=1e-12)
    z = (incl - R * pi) / np.sqrt(R * pi * (1 - pi))
    assert np.abs(z).max() < 4


def test_tree_lm_is_a_tree():
    """A node's children are the same whoever reaches it, and log-probabilities normalise."""
    lm = TreeLM(BeamParams(lm={"kind": "tree", "V": 5}).lm, key=123)
    root = lm.root(3)
    a = lm.advance(root, np.array([0, 1, 2]), np.array([4, 4, 1]))
    assert a[0] == a[1] and a[0] != a[2]
    lp = lm.logprobs(a)
    np.testing.assert_allclose(np.exp(lp).sum(axis=1), 1.0)
    np.testing.assert_array_equal(lp[0], lp[1])
    np.testing.assert_allclose(log_softmax(lm.logits(a)), lp)


def test_tmrca_over_ln_b_increases_with_width():
    """Beam search on the binary random tree (σ = 1): the beams' TMRCA grows
    faster than ln B (Brunet–Derrida: ∝ ln³ B). Mean TMRCA/ln B over 12 trees
    is larger for B = 64 than for B = 4 by more than 3 standard errors of the
    difference (measured: 10.6 ± 2.1 and 35.9 ± 4.4). 500 tokens: every
    replicate has coalesced (the test fails if one has not)."""
    ratios = {}
    for B in (4, 64):
        t = []
        for r in range(12):
            sim = run(lm={"kind": "tree", "V": 2}, decoder="beam", width=B, seed=r, steps=500)
            t.append(sim.observe().metrics["tmrca"] / np.log(B))
        ratios[B] = (np.mean(t), np.std(t, ddof=1) / np.sqrt(len(t)))
    diff = ratios[64][0] - ratios[4][0]
    assert diff > 3 * np.hypot(ratios[4][1], ratios[64][1]), ratios


def test_eos_finishes_hypotheses_and_ranks_them():
    lm = {"kind": "mixture", "V": 4, "K": 2, "sharpness": 0.5, "eos": 0.3}
    sim = run(lm=lm, decoder="beam", width=4, length_penalty=1.0, steps=6)
    assert sim.pool, "EOS this likely must finish hypotheses"
    exact = MixtureLM(sim.params.lm, 0)
    for ranked, score, seq in sim.pool:
        assert seq[-1] == exact.eos
        assert score == pytest.approx(exact.sequence_logprob(seq), abs=1e-9)
        assert ranked == pytest.approx(score / len(seq))
    ranked = [h[0] for h in sim.ranked()]
    assert ranked == sorted(ranked, reverse=True) and len(ranked) == 4
    assert all(sim.lm.eos not in row for row in sim.tokens)


def test_deterministic_decoders_and_fixed_lm_give_identical_replicates():
    lm = {"kind": "mixture", "V": 6, "K": 3}
    a = run(lm=lm, decoder="beam", width=6, seed=1, steps=5)
    b = run(lm=lm, decoder="beam", width=6, seed=2, steps=5)
    np.testing.assert_array_equal(a.tokens, b.tokens)
    c = run(lm={"kind": "tree", "V": 3}, decoder="beam", width=6, seed=1, steps=5)
    d = run(lm={"kind": "tree", "V": 3}, decoder="beam", width=6, seed=2, steps=5)
    assert not np.array_equal(lp_of(c), lp_of(d))  # each replicate its own tree


def test_text_statistics_on_hand_computed_rows():
    from collapsesim.domains.beam.textstats import distinct_n, prefix_stats, self_bleu

    rows = np.array([[1, 2, 3, 4], [1, 2, 5, 6], [1, 7, 3, 4]])
    # shared prefix 1; pairs' common prefixes: (0,1) 2, (0,2) 1, (1,2) 1 → mean 4/3
    assert prefix_stats(rows) == (1.0, pytest.approx(4 / 3))
    # bigrams: 12,23,34 | 12,25,56 | 17,73,34 → distinct 7 of 9
    assert distinct_n(rows, 2) == pytest.approx(7 / 9)
    assert distinct_n(rows, 5) is None
    same = np.array([[1, 2, 3, 4, 5]] * 3)
    assert self_bleu(same) == pytest.approx(1.0)
    # no row shares a trigram with another (123, 234 | 125, 256 | 173, 734): every
    # row's 3-gram precision is 0, so every BLEU-4 (unsmoothed) is 0
    assert self_bleu(rows) == pytest.approx(0.0)
    two = np.array([[1, 2, 3, 4, 5], [1, 2, 3, 4, 6]])
    # each row: p1 = 4/5, p2 = 3/4, p3 = 2/3, p4 = 1/2 → BLEU = (4/5·3/4·2/3·1/2)^(1/4)
    assert self_bleu(two) == pytest.approx((0.8 * 0.75 * (2 / 3) * 0.5) ** 0.25)


def test_families_series_is_the_beam_mass_per_family():
    lm = {"kind": "mixture", "V": 6, "K": 3, "weights": [0.5, 0.3, 0.2]}
    sim = run(lm=lm, decoder="stochastic", width=6, steps=4, seed=3)
    obs = sim.observe()
    fam = obs.series["families"]
    assert fam.abundances.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(fam.reference, [0.5, 0.3, 0.2])
    present = np.unique(sim.tokens[:, 0])
    assert obs.metrics["family_mass_covered"] == pytest.approx(fam.reference[present].sum())
    assert set(np.flatnonzero(fam.abundances > 0)) == set(present)
    assert obs.series["ancestors"].abundances.sum() == 6
    assert obs.series["ancestors"].reference == 6


def test_memory_estimate_refuses_a_beam_too_wide_for_the_machine():
    from collapsesim.config import ConfigError, load, physical_memory
    from collapsesim.domains.beam import Beam

    default = load("beam")
    assert all(b <= physical_memory() for _, b in Beam.memory_estimate(default.params, 1))
    big = {"width": 65536, "lm": {"kind": "tree", "V": 4096}}  # the largest the params allow
    if Beam.memory_estimate(BeamParams(**big), 1)[0][1] <= physical_memory():
        pytest.skip("this machine holds even the widest beam")
    with pytest.raises(ConfigError, match=r"<dict>: params.width: needs about"):
        load({"domain": "beam", "steps": 3, "params": big, "backend": "numpy"})


@pytest.mark.parametrize("backend", BACKENDS)
def test_diverse_at_zero_penalty_is_g_copies_of_beam_search(backend):
    """transformers' group beam search starts every group from the prompt: at
    λ = 0 each of the G groups is beam search of width B/G (tokens and scores)."""
    lm = {"kind": "tree", "V": 3}
    for seed in range(3):
        div = run(steps=10, backend=backend, seed=seed, lm=lm, decoder="diverse", width=6,
                  groups=2, diversity=0.0)
        ref = run(steps=10, backend=backend, seed=seed, lm=lm, decoder="beam", width=3)
        assert div.group_start and div.tokens.shape[1] == ref.tokens.shape[1]
        for g in range(2):
            np.testing.assert_array_equal(div.tokens[3 * g : 3 * g + 3], ref.tokens)
            np.testing.assert_allclose(div.backend.to_numpy(div.score)[3 * g : 3 * g + 3],
                                       ref.backend.to_numpy(ref.score), rtol=0, atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_diverse_score_is_logprob_minus_the_penalties_of_its_path(backend):
    """The score is the log-probability minus λ·(tokens of earlier groups equal
    to the beam's token), summed over its path (as transformers and fairseq);
    recomputed here from the tokens and parents, with each group's B/G best."""
    lam, B, G = 0.7, 8, 4
    sim = run(backend=backend, seed=2, lm={"kind": "mixture", "V": 6, "K": 4, "sharpness": 1.0},
              decoder="diverse", width=B, groups=G, diversity=lam)
    b = B // G

    def penalties(last):
        return np.array([lam * np.sum(last[: (r // b) * b] == last[r]) for r in range(B)])

    assert sim.group_start and sim.tokens.shape == (B, 1)
    acc = penalties(sim.tokens[:, 0])
    assert acc.max() > 0  # four families, four groups of two: tokens repeat across groups
    for _ in range(8):
        np.testing.assert_allclose(to_np(sim, sim.score), lp_of(sim) - acc, atol=1e-12)
        parents = sim._advance()
        assert (parents // b == np.arange(B) // b).all()  # beams stay in their group
        acc = acc[parents] + penalties(sim.tokens[:, -1])
    np.testing.assert_allclose(to_np(sim, sim.score), lp_of(sim) - acc, atol=1e-12)


def to_np(sim, x):
    return sim.backend.to_numpy(x).astype(np.float64)


def test_a_run_with_eos_goes_on_after_the_first_finished_hypothesis():
    """The pool of finished hypotheses is not the runner's ``finished`` flag: a
    beam search with EOS runs its steps (it once stopped at the first EOS)."""
    import collapsesim as cs

    res = cs.run("beam", steps=30, set=["params.lm.eos=0.1"], replicates=1)
    rep = res.summary["per_replicate"][0]
    assert rep["status"] == "completed" and rep["steps_run"] == 30
    m = res.metrics
    pool = m[(m.series == "domain") & (m.metric == "finished")].sort_values("step")["value"]
    assert pool.iloc[-1] > 0  # hypotheses did finish along the way
