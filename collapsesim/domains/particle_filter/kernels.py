"""The filter's two hot steps as named domain operators, with the numpy
specification beside the numba kernels (dispatched by ``backend.op``).

* ``particle_filter.propagate(model, x, ancestors, base, y, t, rng, workspace)``
  — one bootstrap step: gather the ancestors (``None``: the particles are
  already in place), draw the transition, add log g(y_t | x_t) (as float64) to
  the prior log-weights ``base`` (an array, or a scalar for equal weights).
  Returns (x_t, log-weights).
* ``particle_filter.normalise(lw, workspace)`` — (lw − log Σ exp lw, W = exp(lw −
  max lw) with largest weight 1, log Σ exp lw, ESS = (ΣW)²/ΣW²); when log Σ exp
  lw is not finite (every weight zero, or NaN), ``lw`` and the weights are
  returned unnormalised for the caller to report.
* ``particle_filter.propagate_rows(model, x, ancestors, base, y, t, rows)`` — the
  bootstrap step of R replicates: particles (R, N, d), ancestors (R, N) or None,
  prior log-weights (R, N) or a scalar, ``rows`` their generators
  (:class:`~collapsesim.engine.replicates.RowGenerators`); row r draws its normals
  from ``rows[r]`` as ``propagate`` does alone, so its numbers are row r's lone ones.
* ``particle_filter.normalise_rows(lw)`` — the same for the R rows of an (R, N)
  array of log-weights (the batched replicates, :mod:`.batch`): (lw, W, log Σ
  exp lw (R,), ESS (R,)), each row's numbers those of ``normalise`` on that row;
  a row whose log Σ exp lw is not finite is returned unnormalised, ESS 0.

The numpy versions (written on ``backend.xp``: torch uses them too) are the
specification. The numba versions are fused loops: for the one-dimensional
models (:class:`~.models.LinearGaussian` with d = 1, stochastic volatility,
the growth model, the neutral model) with float64 particles, one bootstrap
step is one pass over the particles, and normalising (log-sum-exp, the
weights, Σ W²) is one more, in place, in host buffers reused from step to step
(``workspace``, a dict the filter owns). Other models and dtypes fall back to
the specification. The normal draws come from the run's
``numpy.random.Generator`` in the same order as the specification (drawn by
numpy, one per particle, and passed in: handing the generator to compiled code
costs tens of microseconds per call), so the two agree up to floating-point
rounding.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ...engine.kernels import implements

_OPTS = dict(cache=True, nogil=True)
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)

LINEAR_GAUSSIAN, STOCHASTIC_VOLATILITY, GROWTH, NEUTRAL = 0, 1, 2, 3


@njit(**_OPTS)
def bootstrap_step(x, anc, base, eps, y, t, kind, theta, x_out, lw_out):
    """x_out[i] = μ(x[anc[i]], t) + sd·eps[i] and lw_out[i] = base[i] + log g(y | x_out[i])
    for the model ``kind`` with parameters ``theta`` (see :mod:`.models`)."""
    if kind == LINEAR_GAUSSIAN:
        a, sd, sy = theta[0], theta[1], theta[2]
        shift = 0.0
    elif kind == STOCHASTIC_VOLATILITY:
        a, sd, sy = theta[1], theta[2], 0.0
        shift = theta[0] * (1.0 - theta[1])
    elif kind == GROWTH:
        a, sd, sy = 0.5, theta[0], theta[1]
        shift = 8.0 * math.cos(1.2 * t)
    else:
        a, sd, sy = 1.0, theta[0], 0.0
        shift = 0.0
    log_sy = math.log(sy) + HALF_LOG_2PI if sy > 0 else 0.0
    yy = y * y
    for i in range(x_out.shape[0]):
        prev = x[anc[i], 0]
        m = a * prev + shift
        if kind == GROWTH:
            m += 25.0 * prev / (1.0 + prev * prev)
        v = m + sd * eps[i]
        x_out[i, 0] = v
        if kind == LINEAR_GAUSSIAN:
            z = (y - v) / sy
            ll = -0.5 * z * z - log_sy
        elif kind == STOCHASTIC_VOLATILITY:
            ll = -HALF_LOG_2PI - 0.5 * v - 0.5 * yy * math.exp(-v)
        elif kind == GROWTH:
            z = (y - v * v / 20.0) / sy
            ll = -0.5 * z * z - log_sy
        else:
            ll = 0.0
        lw_out[i] = base[i] + ll


@njit(**_OPTS)
def bootstrap_rows(x, anc, base, eps, y, t, kind, theta, x_out, lw_out):
    """:func:`bootstrap_step` for each row r of (R, N, …) arrays."""
    for r in range(x_out.shape[0]):
        bootstrap_step(x[r], anc[r], base[r], eps[r], y, t, kind, theta, x_out[r], lw_out[r])


@njit(**_OPTS)
def normalise(lw, W):
    """In place: ``W`` ← exp(lw − max lw) (largest weight 1), ``lw`` ← lw − log Σ exp(lw).
    Returns (log Σ exp(lw), ESS = (ΣW)²/ΣW²); the first is −inf (every weight
    zero) or NaN as the input dictates, and then nothing is changed."""
    m = -np.inf
    for i in range(lw.shape[0]):
        if lw[i] > m or lw[i] != lw[i]:
            m = lw[i]
    if not np.isfinite(m):
        return m, 0.0
    s = 0.0
    sq = 0.0
    for i in range(lw.shape[0]):
        w = math.exp(lw[i] - m)
        W[i] = w
        s += w
        sq += w * w
    ell = m + math.log(s)
    for i in range(lw.shape[0]):
        lw[i] -= ell
    return ell, s * s / sq


@njit(**_OPTS)
def normalise_rows_kernel(lw, W, ell, ess):
    """:func:`normalise` for each row of (R, N) arrays, into ``ell`` and ``ess`` (R,)."""
    for r in range(lw.shape[0]):
        ell[r], ess[r] = normalise(lw[r], W[r])


# -- the operators ---------------------------------------------------------------------------
@implements("particle_filter.propagate", "numpy", "torch")
def propagate(backend, model, x, ancestors, base, y, t, rng, workspace):
    """The specification: x_t = μ(x_{t−1}[ancestors], t) + noise, lw = base + log g."""
    if ancestors is not None:
        x = x[ancestors]
    with np.errstate(over="ignore"):  # an impossible y: log-weight −inf, caught by the filter
        x_new = model.mean(x, t) + model.noise.draw(rng, x.shape[0])
        return x_new, base + backend.asarray(model.obs_loglik(y, x_new, t), "float64")


@implements("particle_filter.propagate", "numba")
def propagate_numba(backend, model, x, ancestors, base, y, t, rng, workspace):
    """:func:`bootstrap_step` for the models it knows (float64), else the specification."""
    if model.kernel is None or model.dtype != "float64":
        return propagate(backend, model, x, ancestors, base, y, t, rng, workspace)
    N = x.shape[0] if ancestors is None else ancestors.shape[0]
    anc = np.arange(N) if ancestors is None else ancestors
    if np.ndim(base) == 0:
        base = np.full(N, base)
    x_new = _buffer(workspace, "x", (N, 1), avoid=x)
    lw = _buffer(workspace, "lw", N, avoid=base)
    eps = rng.standard_normal(out=_buffer(workspace, "eps", N))
    bootstrap_step(x, anc, base, eps, float(y[0]), t, model.kernel,
                   np.asarray(model.theta, dtype=np.float64), x_new, lw)
    return x_new, lw


def scaled_sums(xp, lw):
    """(W = exp(lw − max lw), max lw, ΣW, ΣW²) on the array module ``xp``'s arrays;
    the three numbers reach the host in one read (one transfer on a GPU). W is
    meaningless (NaN) when max lw is −inf or NaN. For (R, N) log-weights, per
    row: the three are (R,) host float64 arrays, still one read, and row r's
    numbers are those of row r alone."""
    if lw.ndim == 2:
        m = xp.amax(lw, axis=-1)
        with np.errstate(invalid="ignore"):
            W = xp.exp(lw - m[:, None])
            m, s, sq = np.asarray(xp.stack([m, W.sum(axis=-1), (W * W).sum(axis=-1)]).tolist(),
                                  dtype=np.float64)
        return W, m, s, sq
    m = lw.max()
    with np.errstate(invalid="ignore"):
        W = xp.exp(lw - m)
        m, s, sq = (float(v) for v in xp.stack([m, W.sum(), (W * W).sum()]).tolist())
    return W, m, s, sq


@implements("particle_filter.normalise", "numpy", "torch")
def normalise_spec(backend, lw, workspace):
    """The specification of the weights' normalisation (see the module docstring)."""
    W, m, s, sq = scaled_sums(backend.xp, lw)
    if not math.isfinite(m):
        return lw, None, m, 0.0
    ell = m + math.log(s)
    return (lw - ell if math.isfinite(ell) else lw), W, ell, s * s / sq


@implements("particle_filter.normalise", "numba")
def normalise_numba(backend, lw, workspace):
    """:func:`normalise`, in place, into a reused weight buffer."""
    lw = np.ascontiguousarray(lw, dtype=np.float64)
    W = _buffer(workspace, "W", lw.shape)
    ell, ess = normalise(lw, W)
    return lw, W, ell, ess


@implements("particle_filter.propagate_rows", "numpy", "torch")
def propagate_rows(backend, model, x, ancestors, base, y, t, rows):
    """The specification for R rows: gather, mean and log g on the whole (R, N, d)
    array, the normals drawn row by row (``backend.normal`` with the rows)."""
    k, N, d = x.shape
    if ancestors is not None:
        x = x[backend.arange(k)[:, None], ancestors]
    with np.errstate(over="ignore"):  # an impossible y: log-weight −inf, a diverged row
        x_new = (model.mean(x.reshape(k * N, d), t).reshape(k, N, d)
                 + backend.normal((k, N, d), rows, model.dtype) @ model.noise.chol)
        ll = model.obs_loglik(y, x_new.reshape(k * N, d), t).reshape(k, N)
        return x_new, base + backend.asarray(ll, "float64")


@implements("particle_filter.propagate_rows", "numba")
def propagate_rows_numba(backend, model, x, ancestors, base, y, t, rows):
    """:func:`bootstrap_rows` for the models it knows (float64), else the specification;
    the normals of row r are ``rows[r].standard_normal(N)``, as alone."""
    if model.kernel is None or model.dtype != "float64":
        return propagate_rows(backend, model, x, ancestors, base, y, t, rows)
    k, N = x.shape[0], x.shape[1]
    eps = np.empty((k, N))
    for i in range(k):
        rows[i].standard_normal(out=eps[i])
    anc = np.tile(np.arange(N), (k, 1)) if ancestors is None else ancestors
    base = np.ascontiguousarray(np.broadcast_to(base, (k, N)), dtype=np.float64)
    x_new, lw = np.empty((k, N, 1)), np.empty((k, N))
    bootstrap_rows(x, anc, base, eps, float(y[0]), t, model.kernel,
                   np.asarray(model.theta, dtype=np.float64), x_new, lw)
    return x_new, lw


@implements("particle_filter.normalise_rows", "numpy", "torch")
def normalise_rows_spec(backend, lw):
    """The specification of the rows' normalisation: :func:`normalise_spec` per row."""
    W, m, s, sq = scaled_sums(backend.xp, lw)
    ell = np.array([mi + math.log(si) if math.isfinite(mi) else mi for mi, si in zip(m, s)])
    ok = np.isfinite(ell)
    with np.errstate(invalid="ignore", divide="ignore"):
        ess = np.where(ok, s * s / sq, 0.0)
    return lw - backend.asarray(np.where(ok, ell, 0.0), "float64")[:, None], W, ell, ess


@implements("particle_filter.normalise_rows", "numba")
def normalise_rows_numba(backend, lw):
    """:func:`normalise_rows_kernel`, in place."""
    lw = np.ascontiguousarray(lw, dtype=np.float64)
    W, ell, ess = np.empty_like(lw), np.empty(lw.shape[0]), np.empty(lw.shape[0])
    normalise_rows_kernel(lw, W, ell, ess)
    return lw, W, ell, ess


def _buffer(workspace: dict, name: str, shape, avoid=None) -> np.ndarray:
    """A reused host array (of two, alternating, when ``avoid`` is given: the
    one that is not ``avoid``)."""
    for key in (name, name + "'") if avoid is not None else (name,):
        buf = workspace.get(key)
        if buf is None or buf.shape != tuple(np.atleast_1d(shape)):
            buf = workspace[key] = np.empty(shape)
        if buf is not avoid:
            return buf
    raise AssertionError("unreachable: two buffers cannot both be the one avoided")
