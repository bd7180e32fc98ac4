"""Variation of real-coded genomes: SBX, BLX-α and polynomial mutation.

Arrays are ``(..., D)`` float64 (any leading axes, e.g. demes × pairs); ``rng``
is the backend's generator. One implementation serves numpy and torch (it
draws through ``backend.uniform`` and computes with elementwise operations whose
names agree); numba uses numpy's (the operators are vectorised already), so
the same seed gives the same children on numpy and numba.

* ``sbx`` — simulated binary crossover (Deb & Agrawal 1995), spread index η.
  Draw order: uniforms u, then uniforms s (both of the parents' shape).
  β = (2u)^{1/(η+1)} for u ≤ 1/2, else (2(1 − u))^{−1/(η+1)}; a coordinate is
  crossed when s < 1/2, otherwise β = 1 (copied unchanged); children
  ½((1 + β)a + (1 − β)b) and ½((1 − β)a + (1 + β)b).
* ``blx`` — blend crossover BLX-α (Eshelman & Schaffer 1993): each child
  coordinate uniform on [min − αd, max + αd], d = |a − b|; child 1's uniforms
  are drawn before child 2's.
* ``polynomial_mutation`` (Deb & Goyal 1996), index η, on coordinates scaled
  to [0, 1]: uniforms u, then uniforms h; δ = (2u)^{1/(η+1)} − 1 for u < 1/2,
  else 1 − (2(1 − u))^{1/(η+1)}; x + δ where h < rate. No clipping: the caller
  clips into its box.
"""

from __future__ import annotations

from . import implements


@implements("sbx", "numpy", "torch")
def sbx(backend, a, b, eta: float, rng):
    """Two children of parents ``a``, ``b`` by SBX with spread index ``eta``."""
    shape = tuple(a.shape)
    u = backend.uniform(shape, rng)
    beta = backend.where(u <= 0.5, (2.0 * u) ** (1.0 / (eta + 1.0)),
                         (2.0 * (1.0 - u)) ** (-1.0 / (eta + 1.0)))
    cross = backend.uniform(shape, rng) < 0.5
    beta = backend.where(cross, beta, beta * 0.0 + 1.0)
    c1 = 0.5 * ((1.0 + beta) * a + (1.0 - beta) * b)
    c2 = 0.5 * ((1.0 - beta) * a + (1.0 + beta) * b)
    return c1, c2


@implements("blx", "numpy", "torch")
def blx(backend, a, b, alpha: float, rng):
    """Two children of parents ``a``, ``b`` by BLX-``alpha``."""
    xp = backend.xp
    lo, hi = xp.minimum(a, b), xp.maximum(a, b)
    d = hi - lo
    low, width = lo - alpha * d, (1.0 + 2.0 * alpha) * d
    shape = tuple(a.shape)
    c1 = low + width * backend.uniform(shape, rng)
    c2 = low + width * backend.uniform(shape, rng)
    return c1, c2


@implements("polynomial_mutation", "numpy", "torch")
def polynomial_mutation(backend, x, eta: float, rate: float, rng):
    """``x`` (coordinates scaled to [0, 1]) with each coordinate mutated with
    probability ``rate`` by a polynomial step of index ``eta`` (unclipped)."""
    shape = tuple(x.shape)
    u = backend.uniform(shape, rng)
    e = 1.0 / (eta + 1.0)
    delta = backend.where(u < 0.5, (2.0 * u) ** e - 1.0, 1.0 - (2.0 * (1.0 - u)) ** e)
    hit = backend.uniform(shape, rng) < rate
    return x + backend.where(hit, delta, delta * 0.0)
