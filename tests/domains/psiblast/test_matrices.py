"""BLOSUM62 tables and the BLOSUM62-derived substitution process."""

import numpy as np
import pytest

from collapsesim.domains.psiblast import matrices as M


def test_alphabet_and_codes():
    assert M.ALPHABET == "ARNDCQEGHILKMFPSTWYV" and M.GAP == 20 and M.NOT_ALIGNED == 255
    codes = M.encode("ARNDCQEGHILKMFPSTWYV-acd")
    assert codes.dtype == np.uint8
    assert list(codes[:21]) == list(range(21)) and list(codes[21:]) == [0, 4, 3]
    assert M.decode(codes) == "ARNDCQEGHILKMFPSTWYV-ACD"
    assert M.decode(np.array([0, M.NOT_ALIGNED], np.uint8)) == "A."
    with pytest.raises(ValueError, match="20 amino acids"):
        M.encode("AXB")


def test_blosum62_is_ncbi_matrix():
    B = M.BLOSUM62
    assert B.dtype == np.int32 and B.shape == (20, 20)
    assert np.array_equal(B, B.T)
    i = M.ALPHABET.index
    # a few entries read off NCBI's table
    assert B[i("A"), i("A")] == 4 and B[i("W"), i("W")] == 11 and B[i("C"), i("C")] == 9
    assert B[i("W"), i("D")] == -4 and B[i("I"), i("V")] == 3 and B[i("E"), i("Q")] == 2


def test_frequency_ratios_round_to_blosum62():
    R = M.FREQ_RATIOS
    assert np.array_equal(R, R.T)
    # BLOSUM62 is 2·log2 of the ratios rounded: all 400 transcribed digits agree
    assert np.array_equal(np.rint(2 * np.log2(R)).astype(np.int32), M.BLOSUM62)


def test_backgrounds_and_joint():
    for p in (M.BACKGROUND, M.BLOSUM62_BACKGROUND):
        assert p.shape == (20,) and abs(p.sum() - 1) < 1e-12 and (p > 0).all()
    assert abs(M.BACKGROUND[M.ALPHABET.index("L")] - 90.19 / 1000) < 1e-12  # Robinson, per mille
    J = M.JOINT
    assert np.array_equal(J, J.T) and abs(J.sum() - 1) < 1e-12
    assert np.abs(J.sum(axis=1) - M.BLOSUM62_BACKGROUND).max() < 1e-9
    i = M.ALPHABET.index
    # NCBI's BLOSUM62_JOINT_PROBS (matrix_frequency_data.c) entries
    for a, b, q in (("A", "A", 2.1497573378347484e-02), ("W", "W", 6.4699301717154852e-03),
                    ("I", "L", 1.1382470627796603e-02), ("Y", "F", 4.2392005745634370e-03)):
        assert J[i(a), i(b)] == pytest.approx(q, rel=1e-8)


def test_rate_matrix_is_a_generator_on_the_substitution_clock():
    r = M.rate_matrix()
    Q, pi = r.Q, r.stationary
    off = Q - np.diag(np.diag(Q))
    assert (off >= 0).all()
    assert np.abs(Q.sum(axis=1)).max() < 1e-12
    assert abs(pi.sum() - 1) < 1e-12 and np.abs(pi @ Q).max() < 1e-12
    # one expected substitution per site per unit time
    assert -(pi * np.diag(Q)).sum() == pytest.approx(1.0, abs=1e-12)
    # the logarithm needs no clipping for these tables, so the chain is
    # reversible with BLOSUM62's own background as stationary distribution
    assert r.clipped == 0.0
    assert np.abs(pi - M.BLOSUM62_BACKGROUND).max() < 1e-9
    flux = pi[:, None] * Q
    assert np.abs(flux - flux.T).max() < 1e-10
    # ... which is not the Robinson background PSI-BLAST uses for PSSMs
    assert np.abs(pi - M.BACKGROUND).max() > 0.01


def test_transition():
    r = M.rate_matrix()
    assert np.abs(M.transition(0.0) - np.eye(20)).max() < 1e-12
    for t in (0.1, 1.0, 3.0):
        P = M.transition(t)
        assert (P >= 0).all() and np.abs(P.sum(axis=1) - 1).max() < 1e-12
    # the expected substitutions per site at small t is t (first order)
    t = 1e-3
    assert 1 - (r.stationary * np.diag(M.transition(t))).sum() == pytest.approx(t, rel=1e-3)
    # BLOSUM62's conditional matrix is recovered at its own distance
    P62 = M.JOINT / M.JOINT.sum(axis=1, keepdims=True)
    assert np.abs(M.transition(r.blosum_time) - P62).max() < 1e-10
    assert 1.0 < r.blosum_time < 1.6
    # semigroup and convergence to the stationary distribution
    assert np.abs(M.transition(0.4) @ M.transition(0.9) - M.transition(1.3)).max() < 1e-12
    assert np.abs(M.transition(200.0) - r.stationary[None, :]).max() < 1e-9
    with pytest.raises(ValueError):
        M.transition(-1.0)
