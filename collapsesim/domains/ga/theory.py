"""Selection and drift theory the ``ga`` tests reproduce.

* Takeover time of tournament selection with replacement (Goldberg & Deb
  1991): under pure selection a single best individual's copies fill the
  population in ≈ (ln n + ln ln n)/ln s generations (s the tournament size);
  simulations conditioned on the best surviving (at s = 2 about 20 % of runs
  lose it) give 9.63 generations for n = 100 and 13.54 for n = 1000 (40,000
  replicates, sd ≈ 1.5), about 0.8 above the approximation.
* Fraction of a generation never selected by n tournaments of size s (distinct
  fitness, large n): ∫₀¹ exp(−s·u^{s−1}) du — e⁻¹ for s = 1, 0.432 for s = 2,
  0.504 for s = 3; :func:`never_selected_exact` is the finite-n expectation.
* Drift without selection (parents uniformly at random): the expected
  per-locus heterozygosity 2p(1−p)·n/(n−1) decays exactly as (1 − 1/n)^t
  (Wright–Fisher); crossover does not change it.
* Royal Road R1 (Mitchell, Forrest & Holland 1992; Mitchell, Holland & Forrest
  1994): random-mutation hill climbing needs ≈ 6,550 evaluations on average;
  a GA several times more.

:func:`collapsesim.reproductions.ga.takeover_generations` simulates the
takeover with the engine's tournament operator, replicates batched on the row
axis.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import quad

from ... import theory as shared

TAKEOVER_TOURNAMENT_S2 = {100: 9.63, 1000: 13.54}   # the 40,000-replicate means
TAKEOVER_SD = 1.5
RMHC_ROYAL_ROAD = 6551.0                            # Mitchell, Holland & Forrest (1994), mean of 200 runs


def goldberg_deb_takeover(n: int, s: int) -> float:
    """(ln n + ln ln n)/ln s."""
    return (math.log(n) + math.log(math.log(n))) / math.log(s)


def never_selected_fraction(s: float) -> float:
    """∫₀¹ exp(−s·u^{s−1}) du: the large-n fraction never selected by tournaments of size s."""
    return quad(lambda u: math.exp(-s * u ** (s - 1)), 0.0, 1.0)[0]


def never_selected_exact(n: int, s: int) -> float:
    """Expected fraction of n individuals with distinct fitness that win none of n
    tournaments of size s (contestants with replacement): the individual of rank
    i (i − 1 worse ones) wins one tournament with probability (i^s − (i − 1)^s)/n^s."""
    i = np.arange(1, n + 1, dtype=np.float64)
    p = (i ** s - (i - 1) ** s) / float(n) ** s
    return float(np.mean((1.0 - p) ** n))


def heterozygosity_decay(n: int, t) -> np.ndarray:
    """(1 − 1/n)^t: :func:`collapsesim.theory.heterozygosity_decay` (Wright–Fisher) from H0 = 1."""
    return shared.heterozygosity_decay(1.0, n, t)
