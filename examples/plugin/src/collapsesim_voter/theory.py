"""Closed forms of the voter model on a complete graph (neutral Moran drift).

An event replaces voter i's opinion by voter j's, i and j uniform and
independent: the Moran model's death of i and birth of j. The probability that
two distinct voters differ, H = 1 − Σ p_k², then decays by the factor
(1 − 2/N²) per event in expectation (Moran 1958; Ewens 2004, §3.4), so after t
steps of N events:

    E[H_t] = H_0 · (1 − 2/N²)^(N·t).
"""

from __future__ import annotations


def expected_heterozygosity(h0: float, N: int, steps: int) -> float:
    """E[H] after ``steps`` steps of N voter events from heterozygosity ``h0``."""
    return h0 * (1.0 - 2.0 / N**2) ** (N * steps)
