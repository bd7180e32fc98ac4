"""Replicate studies behind the exactness tests and the reproduction page.

Each function runs many independent filters — replicate j draws from
``SeedSequence(seed, spawn_key=(j,))``, as the runner's replicates do — and
returns the raw per-replicate numbers; the tests and the page
(:mod:`collapsesim.reproductions.particle_filter`) compare their means with
theory.

:func:`runner_loglik_errors` (§1 of the page) runs the domain's scenario
through the runner, as a user's batch would, and gives the numbers of
:func:`loglik_errors` exactly. The other loops build
:class:`~collapsesim.domains.particle_filter.smc.SMC` directly: they read
every step (ESS traces, merger probabilities, distinct parents one step
back) over up to 4·10⁵ filter steps per study, where recording every step through
the runner adds the observation's genealogy summaries and a table row per
metric and step (even recording only the last step, the runner took 3.6 s
against 1.2 s for 10 filters of N = 10⁴, T = 100); the float32 specimen needs
its own resampler and the timings run without a genealogy, which the
domain's scenarios do not offer.
"""

from __future__ import annotations

import numpy as np

from ...domains.particle_filter.data import load_data
from ...domains.particle_filter.kalman import model_kalman
from ...domains.particle_filter.models import build_model
from ...domains.particle_filter.params import (LinearGaussianParams, NeutralParams,
                                               ParticleFilterParams)
from ...domains.particle_filter.smc import SMC
from ...engine.backends import get_backend


def _seeds(seed: int, runs: int):
    return [np.random.SeedSequence(seed, spawn_key=(j,)) for j in range(runs)]


def linear_gaussian_data(T: int = 100, data_seed: int = 0, rho: float = 0.9, sigma_x: float = 1.0,
                         sigma_y: float = 1.0):
    """The exact check's model (stationary start) and T simulated observations:
    (params, host model, data, Kalman result)."""
    params = ParticleFilterParams(model=LinearGaussianParams(rho=rho, sigma_x=sigma_x,
                                                             sigma_y=sigma_y), data_seed=data_seed)
    host = build_model(params.model, get_backend("numpy"))
    data = load_data(params, host, T)
    return params, host, data, model_kalman(host, data.y)


def filter_runs(N: int, runs: int, *, scheme: str = "multinomial", adaptive: bool = False,
                filter: str = "bootstrap", backend: str = "numba", seed: int = 0, T: int = 100,
                data_seed: int = 0, resampler=None, dtype: str = "float64"):
    """``runs`` independent filters on one data set of the linear-Gaussian model
    (ρ = 0.9, σ_X = σ_Y = 1, stationary start): d = log L̂ − log L_KF (runs,)
    and the ESS/N traces (runs, T)."""
    params, _, data, kf = linear_gaussian_data(T, data_seed)
    be = get_backend(backend)
    model = build_model(params.model, be, dtype)
    d, ess = np.empty(runs), np.empty((runs, T))
    for j, s in enumerate(_seeds(seed, runs)):
        smc = SMC(model, data.y, N, be, be.rng(s), filter=filter, scheme=scheme, adaptive=adaptive,
                  resampler=resampler, genealogy=False)
        ess[j, 0] = smc.ess
        for t in range(1, T):
            smc.step()
            ess[j, t] = smc.ess
        d[j] = smc.loglik - kf.loglik
    return d, ess / N


def loglik_errors(N: int, runs: int, **kw) -> np.ndarray:
    """d = log L̂ − log L_KF of :func:`filter_runs`."""
    return filter_runs(N, runs, **kw)[0]


def runner_loglik_errors(N: int, runs: int, *, scheme: str = "multinomial",
                         adaptive: bool = False, backend: str = "numba", seed: int = 0,
                         T: int = 100, data_seed: int = 0, dtype: str = "float64") -> np.ndarray:
    """:func:`loglik_errors` as a user's run: ``runs`` replicates of the domain's
    scenario through the runner (the same seeds, data and filter, so the same
    numbers), d = ``loglik`` at the last step − the Kalman log-likelihood."""
    from .. import harness

    _, _, _, kf = linear_gaussian_data(T, data_seed)
    scenario = {"domain": "particle_filter", "name": "reproduce-particle_filter-loglik",
                "params": {"model": {"kind": "linear_gaussian", "rho": 0.9, "sigma_x": 1.0,
                                     "sigma_y": 1.0},
                           "N": N, "scheme": scheme, "dtype": dtype, "data_seed": data_seed,
                           "resampling": "adaptive" if adaptive else "every_step"}}
    df = harness.run_replicates(scenario, replicates=runs, seed=seed, backend=backend,
                                steps=T - 1, record_every=T - 1).metrics
    return harness.metric_matrix(df, "loglik", [T - 1])[:, 0] - kf.loglik


def loglik_summary(d: np.ndarray, N: int, T: int) -> dict:
    """Mean of exp(d) with its standard error and z-score against 1 (the
    estimator of L is unbiased), and N·Var(d)/T."""
    e = np.exp(d)
    se = e.std(ddof=1) / np.sqrt(len(e))
    return {"mean_exp": float(e.mean()), "se": float(se), "z": float((e.mean() - 1.0) / se),
            "scaled_var": float(N * d.var(ddof=1) / T), "mean_d": float(d.mean()), "runs": len(d)}


def neutral_genealogies(N: int, runs: int, steps: int, *, scheme: str = "multinomial",
                        backend: str = "numba", seed: int = 0) -> dict[str, np.ndarray]:
    """Filters with equal weights (the neutral model): per replicate, the TMRCA
    and stored tree size after ``steps`` steps (NaN TMRCA if not coalesced), the
    mean number of distinct parents one step back, and the surviving founders."""
    be = get_backend(backend)
    params = ParticleFilterParams(model=NeutralParams())
    model = build_model(params.model, be)
    y = np.zeros((steps + 1, 1))
    out = {k: np.empty(runs) for k in ("tmrca", "tree_nodes", "distinct_parents", "founders")}
    for j, s in enumerate(_seeds(seed, runs)):
        smc = SMC(model, y, N, be, be.rng(s), scheme=scheme)
        parents = 0.0
        for _ in range(steps):
            smc.step()
            parents += smc.genealogy.distinct_ancestors(1)
        g = smc.genealogy
        tmrca = g.tmrca()
        out["tmrca"][j] = np.nan if tmrca is None else tmrca
        out["tree_nodes"][j] = g.n_nodes
        out["distinct_parents"][j] = parents / steps
        out["founders"][j] = g.distinct_ancestors(steps)
    return out


def merger_sums(N: int, runs: int, steps: int, *, rho: float = 0.9, sigma_y: float = 1.0,
                backend: str = "numba", seed: int = 0) -> dict[str, np.ndarray]:
    """Bootstrap filters on the linear-Gaussian model with multinomial resampling
    every step: per replicate, the TMRCA of the final particles, the pair-merger
    probabilities c_s = ΣW² summed over the steps back to the MRCA, and the
    harmonic-mean ESS over those steps (NaN where not coalesced)."""
    params, _, data, _ = linear_gaussian_data(steps + 1, rho=rho, sigma_y=sigma_y)
    be = get_backend(backend)
    model = build_model(params.model, be)
    out = {k: np.full(runs, np.nan) for k in ("tmrca", "merger_sum", "harmonic_ess")}
    for j, s in enumerate(_seeds(seed, runs)):
        smc = SMC(model, data.y, N, be, be.rng(s), scheme="multinomial")
        c = np.empty(steps)
        for t in range(steps):
            smc.step()
            c[t] = smc.merger_probability
        tmrca = smc.genealogy.tmrca()
        if tmrca is not None and tmrca > 0:
            window = c[steps - tmrca:]
            out["tmrca"][j] = tmrca
            out["merger_sum"][j] = window.sum()
            out["harmonic_ess"][j] = tmrca / window.sum()
    return out


def speed_run(backend: str, N: int, T: int = 100, device: str = "cpu", genealogy: bool = False):
    """A zero-argument function that runs one bootstrap filter (systematic
    resampling every step; by default no genealogy, like ``particles``) over T
    observations of the linear-Gaussian model: what the timings time."""
    params, _, data, _ = linear_gaussian_data(T)
    be = get_backend(backend, device)
    model = build_model(params.model, be)
    seeds = iter(range(10**9))

    def run() -> None:
        smc = SMC(model, data.y, N, be, be.rng(next(seeds)), scheme="systematic", genealogy=genealogy)
        for _ in range(T - 1):
            smc.step()

    return run
