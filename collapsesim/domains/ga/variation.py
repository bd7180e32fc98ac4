"""Variation: crossover of consecutive parent pairs and mutation, on real
genomes ``(I, m, D)`` (problem coordinates, clipped to the box) or packed bits
``(I, m, W)``.

Crossover (each pair with probability ``rate``; child 1 inherits from parent 1):

* ``sbx`` — simulated binary crossover (Deb & Agrawal 1995), spread index η,
  each coordinate with probability 1/2: β = (2u)^{1/(η+1)} for u ≤ 1/2, else
  (2(1 − u))^{−1/(η+1)}; children ½((1 ± β)p₁ + (1 ∓ β)p₂);
* ``blx`` — blend crossover BLX-α (Eshelman & Schaffer 1993): each coordinate
  uniform on [min − αd, max + αd], d = |p₁ − p₂|;
* ``uniform`` and ``one_point`` — the engine's operators (reals or bits).

Mutation:

* ``gaussian`` — x + σ·(upper − lower)·N(0, 1) per coordinate with probability
  ``rate`` (the engine's operator on coordinates scaled to [0, 1]);
* ``polynomial`` (Deb & Goyal 1996), index η: δ = (2u)^{1/(η+1)} − 1 for
  u < 1/2, else 1 − (2(1 − u))^{1/(η+1)}; x + δ·(upper − lower);
* ``bitflip`` — the engine's operator on packed genomes.
"""

from __future__ import annotations

from .arrays import Random, where, xp_of


def pairs(parents):
    """Split ``(I, 2m, …)`` into the first and second members of each pair."""
    return parents[:, 0::2], parents[:, 1::2]


def interleave(c1, c2):
    """``(I, m, …)`` × 2 → ``(I, 2m, …)`` with c1[j], c2[j] at 2j, 2j + 1."""
    stacked = xp_of(c1).stack([c1, c2], 2)
    return stacked.reshape((c1.shape[0], 2 * c1.shape[1]) + tuple(c1.shape[2:]))


def sbx(a, b, eta: float, rnd: Random):
    u = rnd.random(tuple(a.shape))
    beta = where(u <= 0.5, (2.0 * u) ** (1.0 / (eta + 1.0)),
                 (2.0 * (1.0 - u)) ** (-1.0 / (eta + 1.0)))
    swap = rnd.random(tuple(a.shape)) < 0.5
    beta = where(swap, beta, beta * 0.0 + 1.0)  # β = 1: the coordinate is copied unchanged
    c1 = 0.5 * ((1.0 + beta) * a + (1.0 - beta) * b)
    c2 = 0.5 * ((1.0 - beta) * a + (1.0 + beta) * b)
    return c1, c2


def blx(a, b, alpha: float, rnd: Random):
    xp = xp_of(a)
    lo, hi = xp.minimum(a, b), xp.maximum(a, b)
    d = hi - lo
    low, width = lo - alpha * d, (1.0 + 2.0 * alpha) * d
    return (low + width * rnd.random(tuple(a.shape)), low + width * rnd.random(tuple(a.shape)))


def crossover(spec, parents, backend, rnd: Random, n_genes: int):
    """Children of consecutive pairs of ``parents`` ``(I, 2m, …)`` → ``(I, 2m, …)``."""
    a, b = pairs(parents)
    if spec.kind == "sbx":
        c1, c2 = sbx(a, b, spec.eta, rnd)
    elif spec.kind == "blx":
        c1, c2 = blx(a, b, spec.alpha, rnd)
    elif spec.kind == "uniform":
        c1, c2 = backend.uniform_crossover(a, b, rnd.gen)
    else:
        c1, c2 = backend.one_point_crossover(a, b, rnd.gen, n_genes)
    mate = rnd.random(tuple(a.shape[:2])) < spec.rate
    return interleave(where(mate, c1, a), where(mate, c2, b))


def polynomial(x, eta: float, rate: float, rnd: Random):
    """Polynomial mutation of coordinates scaled to [0, 1]."""
    u = rnd.random(tuple(x.shape))
    e = 1.0 / (eta + 1.0)
    delta = where(u < 0.5, (2.0 * u) ** e - 1.0, 1.0 - (2.0 * (1.0 - u)) ** e)
    hit = rnd.random(tuple(x.shape)) < rate
    return x + where(hit, delta, delta * 0.0)


def mutate(spec, x, backend, rnd: Random, problem, lower, span):
    """Mutated copy of ``x``; real genomes are clipped into the box.
    ``lower``/``span`` are the box's lower corner and widths as arrays of x's kind."""
    if spec.kind == "none":
        return x
    if spec.kind == "bitflip":
        return backend.bitflip_mutation(x, problem.n_bits, spec.rate_for(problem.n_bits), rnd.gen)
    u = (x - lower) / span
    rate = spec.rate_for(problem.dim)
    if spec.kind == "gaussian":
        u = backend.gaussian_mutation(u, spec.sigma, rnd.gen, rate)
    else:
        u = polynomial(u, spec.eta, rate, rnd)
    return problem.clip(lower + span * u)

