"""Variation: crossover of consecutive parent pairs and mutation, on real
genomes ``(I, m, D)`` (problem coordinates, clipped to the box) or packed bits
``(I, m, W)``; ``rng`` is one replicate's backend generator, or every replicate's
(the demes of all replicates: :class:`~.model.ReplicateDemes`).

Crossover (each pair with probability ``rate``; child 1 inherits from parent 1):
the engine's operators ``sbx`` (Deb & Agrawal 1995, spread index η), ``blx``
(BLX-α, Eshelman & Schaffer 1993), ``uniform_crossover`` and
``one_point_crossover`` (reals or bits). The children are drawn first, then
one uniform per pair decides whether it mates.

Mutation, on coordinates scaled to [0, 1] and clipped back into the box:
``gaussian`` — x + σ·(upper − lower)·N(0, 1) per coordinate with probability
``rate`` (the engine's ``gaussian_mutation``); ``polynomial`` — the engine's
``polynomial_mutation`` (Deb & Goyal 1996), index η; ``bitflip`` — the engine's
operator on packed genomes.
"""

from __future__ import annotations


def pairs(parents):
    """Split ``(I, 2m, …)`` into the first and second members of each pair."""
    return parents[:, 0::2], parents[:, 1::2]


def interleave(backend, c1, c2):
    """``(I, m, …)`` × 2 → ``(I, 2m, …)`` with c1[j], c2[j] at 2j, 2j + 1."""
    stacked = backend.xp.stack([c1, c2], 2)
    return stacked.reshape((c1.shape[0], 2 * c1.shape[1]) + tuple(c1.shape[2:]))


def crossover(spec, parents, backend, rng, n_genes: int):
    """Children of consecutive pairs of ``parents`` ``(I, 2m, …)`` → ``(I, 2m, …)``."""
    a, b = pairs(parents)
    if spec.kind == "sbx":
        c1, c2 = backend.op("sbx")(a, b, spec.eta, rng)
    elif spec.kind == "blx":
        c1, c2 = backend.op("blx")(a, b, spec.alpha, rng)
    elif spec.kind == "uniform":
        c1, c2 = backend.uniform_crossover(a, b, rng)
    else:
        c1, c2 = backend.one_point_crossover(a, b, rng, n_genes)
    mate = backend.uniform(tuple(a.shape[:2]), rng) < spec.rate
    return interleave(backend, backend.where(mate, c1, a), backend.where(mate, c2, b))


def mutate(spec, x, backend, rng, problem, lower, span):
    """Mutated copy of ``x``; real genomes are clipped into the box.
    ``lower``/``span`` are the box's lower corner and widths as backend arrays."""
    if spec.kind == "none":
        return x
    if spec.kind == "bitflip":
        return backend.bitflip_mutation(x, problem.n_bits, spec.rate_for(problem.n_bits), rng)
    u = (x - lower) / span
    rate = spec.rate_for(problem.dim)
    if spec.kind == "gaussian":
        u = backend.gaussian_mutation(u, spec.sigma, rng, rate)
    else:
        u = backend.op("polynomial_mutation")(u, spec.eta, rate, rng)
    return problem.clip(lower + span * u)
