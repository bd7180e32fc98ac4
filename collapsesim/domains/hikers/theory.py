"""Go-with-the-winners takeover (Aldous & Vazirani 1994).

With static fitness and the worst quantile q copying uniformly chosen members of
the best q every round, the descendants of the single best hiker fill the
team in a number of rounds that grows like log n: the heuristic
log₂(q·n) + (1 − 2q)/q (copies of the best double each round while they are
fewer than q·n; then the rest is replaced at rate q per round) is about two
rounds low — the issue quotes 8.5 / 11.8 / 15.3 rounds for n = 10², 10³, 10⁴
at q = 0.25 — and the slope in ln n is 1/ln 2. :data:`GWW_TAKEOVER` holds our
own large-replicate means of
:func:`collapsesim.reproductions.hikers.gww_takeover_rounds` (sd and replicates
given), which the tests check.
"""

from __future__ import annotations

import math

# n: (mean rounds, sd, replicates) at q = 0.25: gww_takeover_rounds(n, 0.25, replicates / 4, seed=s)
# pooled over seeds s = 2024 … 2027 (numpy backend)
GWW_TAKEOVER = {100: (8.511, 1.239, 40_000), 1000: (11.873, 1.291, 20_000), 10_000: (15.216, 1.308, 2_000)}


def gww_heuristic(n: int, q: float) -> float:
    """log₂(q·n) + (1 − 2q)/q."""
    return math.log2(q * n) + (1.0 - 2.0 * q) / q
