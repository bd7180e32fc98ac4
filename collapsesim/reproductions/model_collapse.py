"""Reproduction of the model_collapse domain: its exact checks against
:mod:`collapsesim.domains.model_collapse.theory`, the data regimes side by
side, and the cross-domain reading against genetic drift —
``collapsesim reproduce model_collapse`` → ``model_collapse.md`` and
``figures/model_collapse_*.png``.

Step convention (as in the domain and its theory): step t is the model fitted
to generation t's data; step 0 is fitted to n real samples, so the model of
step t has been fitted t + 1 times.

Every check runs the domain through the runner (:func:`harness.run_replicates`;
replicate j draws from ``SeedSequence(seed, spawn_key=(j,))`` as in a user's
``collapsesim run``) and reads the recorded metrics back; a check compares the
mean over replicates with the exact expectation, SE = replicate standard
deviation/√R (sqrt(p(1 − p)/R) for a probability), and passes when
|z| < 3. The runner records metrics, not per-token counts: the per-token loss
probabilities are read from a four-token vocabulary whose probabilities are
superincreasing (each larger than the sum of the smaller ones), so the
recorded ``real_mass_covered`` names exactly which tokens a replicate still
produces (:func:`kept_tokens`). The histograms of vanishing tails are the
one figure drawn from the domain's simulation object stepped directly
(replicate 0's seed, the runner's replicate 0): the runner keeps no samples.

The cross-domain overlay runs the ``drift`` domain (Wright–Fisher, N = n, K = V
equal types) beside the categorical model on the uniform vocabulary: drift
generation g starts from the exact counts N/K and model step t from the
Multinomial(n, p) draw of generation 0, so model step t is drift generation
t + 1 in distribution, not only in mean.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy.special import polygamma

from .. import theory as cs_theory
from ..domains.model_collapse import theory
from ..domains.model_collapse.cells import zipf
from . import harness, protocol
from .harness import Comparison, mean_se, proportion_se

DOMAIN = "model_collapse"
# superincreasing probabilities: every subset has its own total mass (kept_tokens)
LOSS_PROBS = (0.01, 0.03, 0.1, 0.86)


@dataclass(frozen=True)
class Sizes:
    """Replicates and horizons of every study. The page's sizes are the
    defaults (≈ 5 minutes of CPU on 2 cores); :meth:`scaled` shrinks them for tests."""

    cat_R: int = 2000          # categorical Zipf: E[H_t], tokens kept, mass covered
    cat_steps: int = 200
    loss_R: int = 3000         # per-token loss, four tokens
    loss_steps: int = 100
    gauss_R: int = 2500        # Gaussian, per estimator
    gauss_steps: int = 200
    fresh_R: int = 2000
    fresh_steps: int = 100
    weighted_R: int = 1500     # per weight
    weighted_steps: int = 40
    kde_R: int = 2000
    kde_steps: int = 100
    silverman_steps: int = 30
    reg_R: int = 2000
    reg_steps: int = 20
    regimes_R: int = 200       # regimes side by side, per regime and model class
    regimes_steps: int = 150
    overlay_R: int = 1500      # drift vs categorical, each
    overlay_steps: int = 200
    tails_steps: int = 2000    # the single chains of the histograms

    def scaled(self, replicates: float, horizon: float = 1.0) -> Sizes:
        """Replicates × ``replicates`` (at least 20) and horizons × ``horizon``
        (at least 10 generations)."""
        kw = {}
        for k, v in self.__dict__.items():
            f, low = (replicates, 20) if k.endswith("_R") else (horizon, 10)
            kw[k] = max(low, round(v * f))
        return replace(self, **kw)


# -- the runner ------------------------------------------------------------------------
def _name(backend) -> str:
    return backend if isinstance(backend, str) else backend.name


def run(params: dict, backend, seed: int, replicates: int, steps: int, every: int,
        domain: str = DOMAIN):
    """``replicates`` replicates of ``domain`` with ``params`` through the
    runner, recorded every ``every`` steps: the metrics table."""
    scenario = {"domain": domain, "name": f"reproduce-{domain}", "params": params}
    return harness.run_replicates(scenario, replicates=replicates, seed=seed,
                                  backend=_name(backend), steps=steps,
                                  record_every=every).metrics


def grid(steps: int, every: int) -> np.ndarray:
    """The recorded steps 0, every, 2·every, … ≤ steps."""
    return np.arange(0, steps + 1, every)


def curve(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and its SE over replicates (axis 0) of a (replicates, steps) matrix."""
    return x.mean(0), x.std(0, ddof=1) / math.sqrt(x.shape[0])


def rows(x: np.ndarray, ts: np.ndarray, shown, label: str, ref, backend,
         test=None) -> list[Comparison]:
    """Comparisons of the replicate means of ``x`` (replicates, len(ts)) with
    ``ref`` (a value per step of ``ts``) at the steps ``shown``."""
    out = []
    for t in shown:
        k = int(np.flatnonzero(ts == t)[0])
        if test is not None and not test(t):
            continue
        m, se = mean_se(x[:, k])
        out.append(Comparison(label.format(t=t), float(ref[k]), m, se, x.shape[0], _name(backend)))
    return out


def _shown(ts: np.ndarray, wanted) -> list[int]:
    """The steps of ``wanted`` that were recorded, sorted, each once."""
    return sorted(set(wanted) & set(ts.tolist()))


# -- categorical -----------------------------------------------------------------------
def check_categorical(backend, seed: int, *, V: int = 50, zipf_a: float = 1.1, n: int = 200,
                      replicates: int = 2000, steps: int = 200, every: int = 10) -> dict:
    """Categorical model on Zipf(a) over V tokens, replace regime: E[H_t] of the
    fitted frequencies, the expected tokens kept and real mass covered against
    the Wright–Fisher chain with N = n from the Binomial(n, p_v) start."""
    params = {"model": {"kind": "categorical", "V": V, "zipf_a": zipf_a}, "n": n}
    df = run(params, backend, seed, replicates, steps, every)
    ts = grid(steps, every)
    p = zipf(V, zipf_a)
    H = harness.metric_matrix(df, "heterozygosity", ts)
    kept = V - harness.metric_matrix(df, "tokens_lost", ts)
    mass = harness.metric_matrix(df, "real_mass_covered", ts)
    ref = {"H": theory.categorical_heterozygosity(p, n, ts),
           "kept": theory.expected_tokens_kept(p, n, ts),
           "mass": theory.expected_mass_covered(p, n, ts)}
    shown = _shown(ts, (0, 10, 50, 100, 200, steps))
    sim = {"H": H, "kept": kept, "mass": mass}
    label = {"H": "E[1 − Σp̂²] at t = {t}", "kept": "tokens kept at t = {t}",
             "mass": "real mass covered at t = {t}"}
    return {"ts": ts, "sim": sim, "ref": ref, "V": V, "n": n, "zipf_a": zipf_a,
            "rows": {k: rows(sim[k], ts, shown, label[k], ref[k], backend) for k in sim}}


def kept_tokens(mass_covered: np.ndarray, probs) -> np.ndarray:
    """Which tokens each observation still produces, from its real mass
    covered (any shape) and superincreasing token ``probs``: the subset whose
    total mass it is (boolean, shape + (V,)). Raises if a mass is no subset's."""
    probs = np.asarray(probs, float)
    V = len(probs)
    masks = ((np.arange(1 << V)[:, None] >> np.arange(V)) & 1).astype(bool)
    sums = masks @ probs
    if len(np.unique(np.round(sums, 12))) != len(sums):
        raise ValueError("token probabilities must have distinct subset sums")
    idx = np.abs(mass_covered[..., None] - sums).argmin(-1)
    if np.max(np.abs(sums[idx] - mass_covered)) > 1e-9:
        raise ValueError("a real mass covered is no subset's total")
    return masks[idx]


def check_token_loss(backend, seed: int, *, probs=LOSS_PROBS, n: int = 100,
                     replicates: int = 4000, steps: int = 100, every: int = 5) -> dict:
    """P(token of real probability p lost by step t) for the four tokens of
    ``probs`` (read by :func:`kept_tokens`) against the chain's (b_v Pᵗ)[0]."""
    params = {"model": {"kind": "categorical", "V": len(probs), "probs": list(probs)}, "n": n}
    df = run(params, backend, seed, replicates, steps, every)
    ts = grid(steps, every)
    kept = kept_tokens(harness.metric_matrix(df, "real_mass_covered", ts), probs)
    lost_count = harness.metric_matrix(df, "tokens_lost", ts)
    if not np.array_equal((~kept).sum(-1), lost_count):
        raise AssertionError("decoded tokens disagree with the recorded tokens_lost")
    ref = theory.token_loss_probability(np.asarray(probs), n, ts)       # (V, len(ts))
    shown = _shown(ts, (0, 5, 20, 50, 100, steps))
    out = []
    for v, pv in enumerate(probs):
        for t in shown:
            k = int(np.flatnonzero(ts == t)[0])
            if min(ref[v, k], 1.0 - ref[v, k]) * replicates < 10:
                continue                  # too few expected events for sqrt(p(1−p)/R)
            m, se = proportion_se(~kept[:, k, v])
            out.append(Comparison(f"P(token p = {pv} lost) at t = {t}", float(ref[v, k]), m, se,
                                  replicates, _name(backend)))
    return {"ts": ts, "lost": ~kept, "ref": ref, "probs": probs, "n": n, "rows": out}


# -- Gaussian --------------------------------------------------------------------------
def check_gaussian(backend, seed: int, *, estimator: str = "unbiased", n: int = 20,
                   replicates: int = 4000, steps: int = 200, every: int = 4) -> dict:
    """1-D Gaussian refitted to n of its own samples (replace): E σ²_t where
    its spread allows ((t + 1)ψ′((n − 1)/2) ≤ 1), E ln σ²_t and Var ln σ²_t,
    E(μ_t − μ)², E W2² against :mod:`.theory`; the tail mass measured."""
    params = {"model": {"kind": "gaussian", "estimator": estimator}, "n": n, "heldout": 100}
    df = run(params, backend, seed, replicates, steps, every)
    ts = grid(steps, every)
    var = harness.metric_matrix(df, "variance_ratio", ts)   # real σ² = 1
    logv = np.log(var)
    mse = harness.metric_matrix(df, "mean_sq_error", ts)
    w2sq = harness.metric_matrix(df, "w2", ts) ** 2
    tail = harness.metric_matrix(df, "tail_mass", ts)
    psi1 = float(polygamma(1, (n - 1) / 2))
    Elog, Vlog = theory.gaussian_log_variance(n, ts, estimator)
    ref = {"var": theory.gaussian_variance(n, ts, estimator), "log": Elog, "loglog": Vlog,
           "mse": theory.gaussian_mean_error(n, ts, estimator),
           "w2": theory.gaussian_w2_squared(n, ts, estimator)}
    shown = _shown(ts, (0, 4, 8, 20, 52, 100, 152, 200, steps))
    small = lambda t: (t + 1) * psi1 <= 1.0
    e = estimator
    out = (rows(var, ts, ts.tolist(), f"{e}: E[σ²] at t = {{t}}", ref["var"], backend, small)
           + rows(logv, ts, shown, f"{e}: E[ln σ²] at t = {{t}}", ref["log"], backend)
           + rows((logv - Elog) ** 2, ts, _shown(ts, (0, 20, 100, 200)),
                  f"{e}: Var[ln σ²] at t = {{t}}", ref["loglog"], backend)
           + rows(mse, ts, ts.tolist(), f"{e}: E[(μ − μ_real)²] at t = {{t}}", ref["mse"],
                  backend, small)
           + rows(w2sq, ts, ts.tolist(), f"{e}: E[W2²] at t = {{t}}", ref["w2"], backend, small))
    return {"ts": ts, "var": var, "logv": logv, "mse": mse, "w2sq": w2sq, "tail": tail,
            "ref": ref, "n": n, "psi1": psi1, "estimator": estimator, "rows": out,
            "shown": shown}


def check_fresh(backend, seed: int, *, n: int = 20, lam: float = 0.2, replicates: int = 3000,
                steps: int = 100, every: int = 2) -> dict:
    """Fresh real fraction λ: E σ²_t and E(μ_t − μ)² against the recurrence, and
    their stationary values against the time average over the second half of
    the run (one average per replicate; its theory the recurrence's average)."""
    params = {"model": {"kind": "gaussian"}, "n": n, "regime": {"kind": "fresh", "lam": lam},
              "heldout": 100}
    df = run(params, backend, seed, replicates, steps, every)
    ts = grid(steps, every)
    var = harness.metric_matrix(df, "variance_ratio", ts)
    mse = harness.metric_matrix(df, "mean_sq_error", ts)
    A, B = theory.fresh_fraction_moments(n, lam, ts)
    star = theory.fresh_fraction_stationary(n, lam)
    shown = _shown(ts, (0, 5, 10, 50, steps))
    half = ts >= steps // 2
    b = _name(backend)
    out = (rows(var, ts, shown, f"λ = {lam}: E[σ²] at t = {{t}}", A, backend)
           + rows(mse, ts, shown, f"λ = {lam}: E[(μ − μ_real)²] at t = {{t}}", B, backend))
    stat = []
    for x, ref, s, label in ((var, A, star[0], "σ²"), (mse, B, star[1], "(μ − μ_real)²")):
        m, se = mean_se(x[:, half].mean(1))
        stat.append(Comparison(f"stationary E[{label}] (mean over t = {steps // 2}…{steps}; "
                               f"fixed point {s:.5f})", float(ref[half].mean()), m, se,
                               replicates, b))
    return {"ts": ts, "var": var, "mse": mse, "A": A, "B": B, "star": star, "n": n, "lam": lam,
            "rows": out, "stationary": stat}


def check_weighted(backend, seed: int, *, n: int = 20, real_n: int = 20,
                   weights=(0.2, 0.4, "optimal", 0.8, 1.0), replicates: int = 2000,
                   steps: int = 40, every: int = 2) -> dict:
    """Weighted real vs synthetic mean estimation (known variance): for each
    real weight w, E(μ_t − μ)² averaged over the second half of the run (one
    average per replicate) against the recurrence's average; the optimal
    weight (√(1 + 4k) − 1)/(2k) = 1/φ at k = n/real_n = 1 gives the smallest
    stationary error."""
    ts = grid(steps, every)
    half = ts >= steps // 2
    out, stat = [], []
    for i, w in enumerate(weights):
        params = {"model": {"kind": "gaussian", "estimator": "mean_only"}, "n": n,
                  "regime": {"kind": "weighted", "real_n": real_n, "real_weight": w},
                  "heldout": 100}
        df = run(params, backend, seed + i, replicates, steps, every)
        mse = harness.metric_matrix(df, "mean_sq_error", ts)
        wv = theory.optimal_real_weight(n / real_n) if w == "optimal" else float(w)
        ref = theory.weighted_mean_error(n, real_n, wv, ts)
        m, se = mean_se(mse[:, half].mean(1))
        label = f"w = {wv:.4f}" + (" (optimal)" if w == "optimal" else "")
        c = Comparison(f"{label}: E[(μ − μ_real)²], mean over t = {steps // 2}…{steps}",
                       float(ref[half].mean()), m, se, replicates, _name(backend))
        out.append(c)
        stat.append((wv, c, theory.weighted_mean_stationary(n, real_n, wv)))
    return {"rows": out, "points": stat, "n": n, "real_n": real_n}


# -- KDE -------------------------------------------------------------------------------
def check_kde(backend, seed: int, *, n: int = 20, h: float = 0.5, replicates: int = 3000,
              steps: int = 100, every: int = 5, n_silverman: int = 100,
              silverman_steps: int = 30) -> dict:
    """KDE with a fixed bandwidth h (E v_t → n h²) and with Silverman's rule
    (E v_t = σ² g^{t+1}, g = (n − 1)/n + q > 1)."""
    ts = grid(steps, every)
    params = {"model": {"kind": "kde", "bandwidth": h}, "n": n, "heldout": 100}
    df = run(params, backend, seed, replicates, steps, every)
    v = harness.metric_matrix(df, "variance_ratio", ts)
    tail = harness.metric_matrix(df, "tail_mass", ts)
    ref = theory.kde_variance(n, ts, h)
    out = rows(v, ts, _shown(ts, (0, 5, 20, 50, steps)), f"fixed h = {h}: E[v] at t = {{t}}",
               ref, backend)
    ts2 = grid(silverman_steps, 1)
    params = {"model": {"kind": "kde", "bandwidth": "silverman"}, "n": n_silverman,
              "heldout": 100}
    df2 = run(params, backend, seed + 1, replicates, silverman_steps, 1)
    v2 = harness.metric_matrix(df2, "variance_ratio", ts2)
    tail2 = harness.metric_matrix(df2, "tail_mass", ts2)
    ref2 = theory.kde_silverman_variance(n_silverman, ts2)
    out2 = rows(v2, ts2, _shown(ts2, (0, 5, 10, 20, silverman_steps)),
                "Silverman: E[v] at t = {t}", ref2, backend)
    return {"ts": ts, "v": v, "tail": tail, "ref": ref, "ts2": ts2, "v2": v2, "tail2": tail2,
            "ref2": ref2, "n": n, "h": h, "n2": n_silverman,
            "g": (n_silverman - 1) / n_silverman + theory.silverman_factor(n_silverman),
            "rows": out + out2}


# -- regression ------------------------------------------------------------------------
def check_regression(backend, seed: int, *, n: int = 20, d: int = 4, noise: float = 1.0,
                     replicates: int = 2000, steps: int = 20) -> dict:
    """OLS refitted to the previous model's labels: E‖ŵ_t − w*‖² linear in t
    (replace) and bounded by π²/6 × generation 0's (accumulate)."""
    ts = grid(steps, 1)
    res = {}
    for i, regime in enumerate(("replace", "accumulate")):
        params = {"model": {"kind": "regression", "d": d, "noise": noise}, "n": n,
                  "regime": {"kind": regime}, "heldout": 100}
        df = run(params, backend, seed + i, replicates, steps, 1)
        err = harness.metric_matrix(df, "test_error", ts)
        ref = theory.regression_test_error(n, d, noise, ts, regime)
        res[regime] = {"err": err, "ref": ref,
                       "rows": rows(err, ts, _shown(ts, (0, 1, 5, 10, steps)),
                                    f"{regime}: E‖ŵ − w*‖² at t = {{t}}", ref, backend)}
    return {"ts": ts, "n": n, "d": d, "noise": noise, **res}


# -- regimes side by side --------------------------------------------------------------
REGIMES = {"replace": {"kind": "replace"}, "accumulate": {"kind": "accumulate"},
           "fresh λ = 0.1": {"kind": "fresh", "lam": 0.1},
           "weighted (optimal w, real_n = n)": {"kind": "weighted", "real_weight": "optimal"}}

CLASSES = {
    "categorical": ({"kind": "categorical", "V": 50, "zipf_a": 1.1}, 200,
                    (("tokens kept", "tokens_lost"), ("real mass covered", "real_mass_covered"))),
    "gaussian": ({"kind": "gaussian", "estimator": "unbiased"}, 20,
                 (("E ln σ²_t/σ²", "variance_ratio"), ("E ln W2²", "w2"))),
    "kde": ({"kind": "kde", "bandwidth": 0.5}, 20,
            (("E v_t/σ²", "variance_ratio"), ("tail mass (real: 0.02)", "tail_mass"))),
}


def regimes(backend, seed: int, *, replicates: int = 200, steps: int = 150,
            every: int = 5) -> dict:
    """Every model class of :data:`CLASSES` under every regime of
    :data:`REGIMES`: the mean (± SE) of its two metrics per recorded step."""
    ts = grid(steps, every)
    out = {}
    for i, (cls, (model, n, metrics)) in enumerate(CLASSES.items()):
        out[cls] = {}
        for j, (name, regime) in enumerate(REGIMES.items()):
            regime = dict(regime, **({"real_n": n} if regime["kind"] == "weighted" else {}))
            params = {"model": model, "n": n, "regime": regime, "heldout": 100}
            df = run(params, backend, seed + 10 * i + j, replicates, steps, every)
            curves = {}
            for label, metric in metrics:
                x = harness.metric_matrix(df, metric, ts)
                if metric == "tokens_lost":
                    x = model["V"] - x
                elif metric == "variance_ratio" and cls == "gaussian":
                    x = np.log(x)
                elif metric == "w2":
                    x = 2.0 * np.log(x)
                curves[label] = curve(x)
            out[cls][name] = curves
    return {"ts": ts, "curves": out}


# -- the cross-domain overlay ----------------------------------------------------------
def overlay(backend, seed: int, *, N: int = 100, K: int = 10, replicates: int = 2000,
            steps: int = 200, every: int = 5) -> dict:
    """The drift domain (Wright–Fisher, N, K equal types) and the categorical
    model (uniform over V = K tokens, n = N) through the runner: drift
    generation g against model step g − 1, heterozygosity and types kept,
    each against cs.theory's chain."""
    gens = grid(steps, every)
    drift = run({"N": N, "K": K}, backend, seed, replicates, steps, every, domain="drift")
    H_d = harness.metric_matrix(drift, "heterozygosity", gens)
    k_d = harness.metric_matrix(drift, "n_types", gens)
    mc = run({"model": {"kind": "categorical", "V": K, "zipf_a": 0.0}, "n": N}, backend,
             seed + 1, replicates, steps - 1, 1)
    mt = np.arange(steps)
    H_m = harness.metric_matrix(mc, "heterozygosity", mt)
    k_m = K - harness.metric_matrix(mc, "tokens_lost", mt)
    p = np.full(K, 1.0 / K)
    h0 = 1.0 - 1.0 / K
    g_all = np.arange(0, steps + 1)
    kept = np.concatenate([[K], theory.expected_tokens_kept(p, N, g_all[1:] - 1)])
    return {"N": N, "K": K, "gens": gens, "H_d": H_d, "k_d": k_d, "mt": mt, "H_m": H_m,
            "k_m": k_m, "g_all": g_all,
            "H_ref": cs_theory.heterozygosity_decay(h0, N, g_all), "kept_ref": kept,
            "replicates": replicates}


def overlay_table(ov: dict, shown) -> str:
    """Drift generation g beside model step g − 1: cs.theory, each domain's
    mean ± SE, their difference ± SE (independent runs), z and |z| < 3."""
    lines = [("| quantity | g | cs.theory | drift (mean ± SE) | model_collapse, step g − 1 "
             "(mean ± SE) | model − drift (± SE) | z | within 3 SE |"),
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for label, d, m, ref in (("heterozygosity 1 − Σp²", ov["H_d"], ov["H_m"], ov["H_ref"]),
                             ("types kept", ov["k_d"], ov["k_m"], ov["kept_ref"])):
        for g in shown:
            kd = int(np.flatnonzero(ov["gens"] == g)[0])
            md, sd = mean_se(d[:, kd])
            mm, sm = mean_se(m[:, g - 1])
            diff, se = mm - md, math.hypot(sd, sm)
            z = diff / se if se > 0 else 0.0
            lines.append(f"| {label} | {g} | {ref[g]:.5g} | {md:.5g} ± {sd:.2g} | "
                         f"{mm:.5g} ± {sm:.2g} | {diff:+.3g} ± {se:.2g} | {z:+.2f} | "
                         f"{harness.yes_no(abs(z) < 3)} |")
    return "\n".join(lines)


def overlay_comparisons(ov: dict, shown, backend) -> list[Comparison]:
    """Each domain's mean against cs.theory at the generations ``shown``."""
    out = []
    for g in shown:
        kd = int(np.flatnonzero(ov["gens"] == g)[0])
        for name, x in (("drift", ov["H_d"][:, kd]), ("model_collapse", ov["H_m"][:, g - 1])):
            m, se = mean_se(x)
            out.append(Comparison(f"{name}: H at drift generation {g}", float(ov["H_ref"][g]),
                                  m, se, len(x), _name(backend)))
    return out


# -- tails (direct simulation, for the histograms) -------------------------------------
def tail_chains(backend, seed: int, *, generations) -> dict:
    """One chain each (the runner's replicate 0 seed) of a 1-D Gaussian (n =
    1000, unbiased) and a Zipf(1.1) categorical model (V = 100, n = 500):
    the generation's samples and the fitted token probabilities at
    ``generations``."""
    from ..domains.model_collapse.model import ModelCollapseSimulation
    from ..domains.model_collapse.params import ModelCollapseParams
    from ..engine import get_backend

    be = get_backend(_name(backend), "cpu")
    out = {}
    for kind, params in (("gaussian", {"model": {"kind": "gaussian"}, "n": 1000}),
                         ("categorical", {"model": {"kind": "categorical", "V": 100,
                                                    "zipf_a": 1.1}, "n": 500})):
        p = ModelCollapseParams.model_validate({"heldout": 10, **params})
        sim = ModelCollapseSimulation(p, be, [np.random.SeedSequence(seed, spawn_key=(0,))])
        snaps = {}
        for g in range(max(generations) + 1):
            if g:
                sim.step()
            if g in generations:
                snaps[g] = (sim.new[0, :, 0].copy() if kind == "gaussian"
                            else np.asarray(sim.model.probs[0]).copy())
        out[kind] = snaps
    return out


# -- figures ---------------------------------------------------------------------------
def _band(ax, t, x, colour, label):
    m, se = curve(x)
    ax.fill_between(t, m - 2 * se, m + 2 * se, color=colour, alpha=0.35, lw=0,
                    label=f"{label}: simulated ± 2 SE")


def _save(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)


def figure_categorical(cat, loss, path):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    ts = cat["ts"]
    for ax, key, ylabel in ((axes[0], "H", "E[1 − Σp̂²]"), (axes[1], "kept", "tokens kept")):
        _band(ax, ts, cat["sim"][key], "C0", "categorical")
        ax.plot(ts, cat["ref"][key], "k-", lw=1, label="exact chain")
        ax.set(xlabel="step t (model fitted t + 1 times)", ylabel=ylabel,
               title=f"Zipf({cat['zipf_a']}), V = {cat['V']}, n = {cat['n']}")
        ax.legend(fontsize=8)
    ax = axes[2]
    for v, pv in enumerate(loss["probs"]):
        m, se = curve(loss["lost"][..., v].astype(float))
        ax.fill_between(loss["ts"], m - 2 * se, m + 2 * se, color=f"C{v}", alpha=0.35, lw=0)
        ax.plot(loss["ts"], loss["ref"][v], color=f"C{v}", lw=1, label=f"p = {pv}")
    ax.set(xlabel="step t", ylabel="P(token lost by step t)",
           title=f"token loss, n = {loss['n']} (bands: simulated ± 2 SE)")
    ax.legend(fontsize=8)
    _save(fig, path)


def figure_gaussian(gs, path):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for g, colour in zip(gs, ("C0", "C3")):
        ts, e = g["ts"], g["estimator"]
        _band(axes[0], ts, g["logv"], colour, e)
        axes[0].plot(ts, g["ref"]["log"], color=colour, lw=1, label=f"{e}: theory")
        ok = (ts + 1) * g["psi1"] <= 1.0
        m, se = curve(g["var"])
        axes[1].errorbar(ts[ok], m[ok], 2 * se[ok], fmt="o", color=colour, ms=3,
                         label=f"{e}: E[σ²] ± 2 SE (where (t+1)ψ′ ≤ 1)")
        axes[1].plot(ts, g["ref"]["var"], color=colour, lw=1, label=f"{e}: E[σ²] theory")
        axes[1].plot(ts, np.median(g["var"], 0), color=colour, ls=":", label=f"{e}: median σ²")
        m, se = curve(g["w2sq"])
        axes[2].errorbar(ts[ok], m[ok], 2 * se[ok], fmt="o", color=colour, ms=3,
                         label=f"{e}: simulated ± 2 SE (where (t+1)ψ′ ≤ 1)")
        axes[2].plot(ts, g["ref"]["w2"], color=colour, lw=1, label=f"{e}: theory")
        axes[2].plot(ts, np.median(g["w2sq"], 0), color=colour, ls=":",
                     label=f"{e}: median W2²")
    n = gs[0]["n"]
    axes[0].set(xlabel="step t", ylabel="E[ln σ²_t/σ²]", title=f"1-D Gaussian, n = {n}")
    axes[1].set(xlabel="step t", ylabel="σ²_t/σ²", yscale="log",
                title="the mean stays, the typical chain collapses")
    axes[2].set(xlabel="step t", ylabel="E[W2²] to the real N(0, 1)")
    for ax in axes:
        ax.legend(fontsize=7)
    _save(fig, path)


def figure_fresh_weighted(fr, wt, path):
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    _band(a, fr["ts"], fr["var"], "C0", "E[σ²]")
    a.plot(fr["ts"], fr["A"], "C0-", lw=1)
    _band(a, fr["ts"], fr["mse"] * 10, "C1", "10·E[(μ − μ_real)²]")
    a.plot(fr["ts"], fr["B"] * 10, "C1-", lw=1)
    a.axhline(fr["star"][0], color="k", ls=":", lw=1, label="stationary values")
    a.axhline(fr["star"][1] * 10, color="k", ls=":", lw=1)
    a.set(xlabel="step t", title=f"fresh fraction λ = {fr['lam']}, n = {fr['n']} (lines: theory)")
    a.legend(fontsize=8)
    w = np.linspace(0.05, 1, 200)
    b.plot(w, theory.weighted_mean_stationary(wt["n"], wt["real_n"], w), "k-",
           label="stationary B*(w)")
    for wv, c, _ in wt["points"]:
        b.errorbar([wv], [c.estimate], [2 * c.se], fmt="o", color="C0")
    wopt = theory.optimal_real_weight(wt["n"] / wt["real_n"])
    b.axvline(wopt, color="C3", ls="--", label=f"w* = 1/φ = {wopt:.4f}")
    b.set(xlabel="real weight w", ylabel="E[(μ − μ_real)²] (second half of the run)",
          title=f"weighted, n = real_n = {wt['n']} (points: simulated ± 2 SE)")
    b.legend(fontsize=8)
    _save(fig, path)


def figure_kde(kd, path):
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    _band(a, kd["ts"], kd["v"], "C0", "E[v_t]")
    a.plot(kd["ts"], kd["ref"], "k-", lw=1, label="theory")
    a.axhline(kd["n"] * kd["h"] ** 2, color="k", ls=":", lw=1, label="fixed point n h²")
    a.set(xlabel="step t", ylabel="model variance v_t / σ²",
          title=f"KDE, fixed h = {kd['h']}, n = {kd['n']}")
    a.legend(fontsize=8)
    _band(b, kd["ts2"], kd["v2"], "C0", "E[v_t]")
    b.plot(kd["ts2"], kd["ref2"], "k-", lw=1, label=f"theory g^(t+1), g = {kd['g']:.4f}")
    b.set(xlabel="step t", ylabel="model variance v_t / σ²", yscale="log",
          title=f"KDE, Silverman's h, n = {kd['n2']}")
    b.legend(fontsize=8)
    _save(fig, path)


def figure_regression(rg, path):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for regime, colour in (("replace", "C3"), ("accumulate", "C0")):
        _band(ax, rg["ts"], rg[regime]["err"], colour, regime)
        ax.plot(rg["ts"], rg[regime]["ref"], color=colour, lw=1, label=f"{regime}: theory")
    ax.axhline(math.pi ** 2 / 6 * rg["accumulate"]["ref"][0], color="k", ls=":", lw=1,
               label="π²/6 × generation 0")
    ax.set(xlabel="step t", ylabel="E‖ŵ_t − w*‖² (excess test error)",
           title=f"OLS, n = {rg['n']}, d = {rg['d']}, σ = {rg['noise']}")
    ax.legend(fontsize=8)
    _save(fig, path)


def figure_tails(tails, path):
    import matplotlib.pyplot as plt
    from scipy.stats import norm

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    edges = np.linspace(-4.5, 4.5, 61)
    x = np.linspace(-4.5, 4.5, 400)
    a.plot(x, norm.pdf(x), "k-", lw=1, label="real N(0, 1)")
    for i, (g, s) in enumerate(tails["gaussian"].items()):
        dens, _ = np.histogram(s, edges, density=True)
        a.stairs(np.where(dens > 0, dens, np.nan), edges, color=f"C{i}", label=f"generation {g}")
    q = norm.ppf(0.99)
    for sgn in (-1, 1):
        a.axvline(sgn * q, color="grey", ls=":", lw=1)
    a.set(yscale="log", ylim=(1e-4, 10), xlabel="x",
          ylabel="density of the generation's samples",
          title="1-D Gaussian, n = 1000, one chain (dotted: real 1 %/99 %)")
    a.legend(fontsize=8)
    for i, (g, p) in enumerate(tails["categorical"].items()):
        r = np.arange(1, len(p) + 1)
        b.plot(r, np.where(p > 0, p, np.nan), "o-", ms=2, lw=0.8, color=f"C{i}",
               label=f"generation {g}: {int(np.count_nonzero(p))} tokens kept")
    b.plot(r, zipf(len(p), 1.1), "k-", lw=1, label="real Zipf(1.1)")
    b.set(xscale="log", yscale="log", xlabel="real rank", ylabel="fitted probability",
          title="categorical, V = 100, n = 500, one chain")
    b.legend(fontsize=8)
    _save(fig, path)


def figure_regimes(rg, path, cls):
    import matplotlib.pyplot as plt

    _model, n, metrics = CLASSES[cls]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    ts = rg["ts"]
    for ax, (label, _) in zip(axes, metrics):
        for i, (name, curves) in enumerate(rg["curves"][cls].items()):
            m, se = curves[label]
            ax.plot(ts, m, color=f"C{i}", lw=1.2, label=name)
            ax.fill_between(ts, m - 2 * se, m + 2 * se, color=f"C{i}", alpha=0.25, lw=0)
        ax.set(xlabel="step t", ylabel=label, title=f"{cls}, n = {n}")
        ax.legend(fontsize=8)
    _save(fig, path)


def figure_overlay(ov, path):
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    for ax, dk, mk, rk, ylabel in ((a, "H_d", "H_m", "H_ref", "heterozygosity 1 − Σp²"),
                                   (b, "k_d", "k_m", "kept_ref", "types (tokens) kept")):
        ax.plot(ov["g_all"], ov[rk], "k-", lw=1, label="cs.theory (exact chain)")
        md, sd = curve(ov[dk])
        ax.errorbar(ov["gens"], md, 2 * sd, fmt="o", ms=3, color="C3",
                    label="drift domain, generation g (± 2 SE)")
        mm, sm = curve(ov[mk])
        ax.fill_between(ov["mt"] + 1, mm - 2 * sm, mm + 2 * sm, color="C0", alpha=0.35, lw=0,
                        label="model_collapse, step g − 1 (± 2 SE)")
        ax.set(xlabel="generation g (drift) = model refits", ylabel=ylabel,
               title=f"N = n = {ov['N']}, K = V = {ov['K']} equal types")
        ax.legend(fontsize=8)
    _save(fig, path)


# -- the page --------------------------------------------------------------------------
INTRO = (
    "Step convention: step t is the model fitted to generation t's data; step 0 is fitted "
    "to n real samples, so at step t the model has been fitted t + 1 times "
    "(`collapsesim.domains.model_collapse.theory` uses the same convention). Every table "
    "shows the exact expectation (`model_collapse.theory`, or `collapsesim.theory` for "
    "the Wright–Fisher chain), the simulated mean ± its standard error from the spread "
    "over replicates (sqrt(p(1−p)/R) for a probability), z = (mean − theory)/SE and "
    "whether |z| < 3. Every simulation runs the domain through the runner (replicate j "
    "draws from SeedSequence(seed, spawn_key=(j,)), as in `collapsesim run`; the domain "
    "batches the R replicates as one array program) except the single chains of the "
    "tail histograms, drawn from the domain's simulation object with the runner's "
    "replicate-0 seed because the runner keeps metrics, not samples. With 3 SE and about "
    "{checks} checks, one or two |z| between 2.5 and 3.5 are expected by chance alone. "
    "The unit tests (`tests/domains/model_collapse/test_theory.py`, "
    "`test_reproduction.py`) run the same checks at smaller sizes.\n\n"
    "References: Shumailov et al. (2024) Nature 631:755; Bertrand et al. (2024) ICLR; "
    "Gerstgrasser et al. (2024) arXiv:2404.01413; Dohmatob, Feng & Kempe (2024) NeurIPS; "
    "He, Xu & Cheng (2025) arXiv:2502.18049; Ewens (2004) *Mathematical Population "
    "Genetics*."
)


@protocol(DOMAIN, "verification", default=True,
          description="model collapse against exact theory (categorical = Wright-Fisher chain, "
                      "Gaussian, fresh/weighted, KDE, regression), regimes side by side, "
                      "overlay on the drift domain")
def verification(out: Path, *, seed: int, backend: str, scale: float = 1.0,
                 horizon: float = 1.0) -> Path:
    """Run every study and write ``out/model_collapse.md`` and its figures.
    ``scale`` multiplies every replicate count and ``horizon`` every number of
    generations (:meth:`Sizes.scaled`): below 1 a smoke run whose numbers are
    not the page's."""
    import matplotlib

    matplotlib.use("Agg")
    started = time.perf_counter()
    S = Sizes().scaled(scale, horizon)
    b = _name(backend)
    fig = lambda name: harness.figure_path(out, f"model_collapse_{name}")
    sections, n_checks = [], 0

    def tab(rs, digits=5):
        nonlocal n_checks
        n_checks += len(rs)
        return harness.table(rs, digits)

    # categorical
    cat = check_categorical(b, seed, replicates=S.cat_R, steps=S.cat_steps, every=10)
    loss = check_token_loss(b, seed + 1, replicates=S.loss_R, steps=S.loss_steps, every=5)
    figure_categorical(cat, loss, fig("categorical"))
    sections.append(
        "## Categorical model: the Wright–Fisher chain\n\n"
        f"A unigram model over V = {cat['V']} tokens with a Zipf({cat['zipf_a']}) real "
        f"distribution, refitted (maximum-likelihood frequencies, temperature 1, no "
        f"truncation) to n = {cat['n']} of its own samples. Each token's count is the "
        "Wright–Fisher chain with N = n started from its Binomial(n, p_v) draw at step 0, "
        "so E[1 − Σp̂²_t] = (1 − Σp²)(1 − 1/n)^(t+1), P(token v lost by step t) = "
        "(b_v Pᵗ)[0] with b_v the Binomial(n, p_v) probabilities and P "
        "`collapsesim.theory.transition_matrix(n)`, tokens kept Σ_v (1 − that) and real "
        "mass covered Σ_v p_v (1 − that).\n\n" + tab(cat["rows"]["H"]) + "\n\n"
        + tab(cat["rows"]["kept"]) + "\n\n" + tab(cat["rows"]["mass"]) + "\n\n"
        f"Per-token loss: a vocabulary of four tokens with probabilities {LOSS_PROBS} "
        f"(n = {loss['n']}); each is lost and kept as a token of the same probability in "
        "any vocabulary (its count is the same binomial chain), and since every subset of "
        "these probabilities has its own total, the recorded real mass covered names which "
        "tokens a replicate still produces (checked against the recorded `tokens_lost`). Rows "
        "where fewer than 10 losses (or survivals) are expected among the replicates are "
        "left out: there sqrt(p(1−p)/R) is no standard error (the p = 0.86 token is "
        "practically never lost).\n\n"
        + tab(loss["rows"], 4)
        + "\n\n![categorical](figures/model_collapse_categorical.png)\n")

    # Gaussian
    gs = [check_gaussian(b, seed + 2 + i, estimator=e, replicates=S.gauss_R,
                         steps=S.gauss_steps, every=4) for i, e in enumerate(("unbiased", "mle"))]
    figure_gaussian(gs, fig("gaussian"))
    g0 = gs[0]
    n_g, last = g0["n"], int(g0["ts"][-1])
    small_t = math.floor(1 / g0["psi1"]) - 1
    tiny = float(np.mean(g0["var"][:, -1] < 1e-2))
    tail_rows = []
    for t in g0["shown"]:
        k = int(np.flatnonzero(g0["ts"] == t)[0])
        m, se = mean_se(g0["tail"][:, k])
        none = float(np.mean(g0["tail"][:, k] == 0))
        tail_rows.append(f"| {t} | {m:.4f} ± {se:.1g} | {100 * none:.1f} % | "
                         f"{np.median(g0['var'][:, k]):.3g} |")
    tail_rows = "\n".join(tail_rows)
    sections.append(
        "## Gaussian: the variance is a martingale, yet σ_t → 0\n\n"
        f"A 1-D Gaussian refitted to n = {n_g} of its own samples (replace; real N(0, 1)). "
        "σ²_t = σ² Π_{i≤t} χ²_{n−1,i}/c with c = n − 1 (unbiased) or n (MLE), so "
        "E[σ²_t] = σ²((n − 1)/c)^(t+1) — a martingale for the unbiased estimator, "
        "((n − 1)/n)^(t+1) for the MLE — while E[ln σ²_t/σ²] = (t + 1)(ψ((n − 1)/2) − "
        "ln(c/2)) < 0 falls linearly: σ_t → 0 almost surely. The mean of σ²_t is checked "
        f"only where its spread allows it: Var ln σ²_t = (t + 1)ψ′((n − 1)/2) = "
        f"(t + 1)·{g0['psi1']:.4f} ≤ 1, i.e. t ≤ {small_t} (beyond, E[σ²_t] is carried by "
        "ever rarer replicates and a sample mean of R replicates typically falls below "
        "it) — and so are E[(μ_t − μ)²] = Σ_{i≤t} E[σ²_i]/n and E[W2²], whose means are "
        "carried by the same rare replicates. E[ln σ²_t] and Var[ln σ²_t] (sums of "
        "independent log-χ² terms, light-tailed) are checked at every t. E[(μ_t − μ)²] = "
        "(σ²/n) Σ_{i≤t} ((n − 1)/c)^i ((t + 1)σ²/n unbiased) and E[W2²] = E[(μ_t − μ)²] + "
        "E[σ²_t] − 2σE[σ_t] + σ² with E[σ_t] = σ m^(t+1), m = √(2/c) Γ(n/2)/Γ((n − 1)/2), "
        "grow at least linearly.\n\n"
        + tab(gs[0]["rows"]) + "\n\n" + tab(gs[1]["rows"]) + "\n\n"
        f"At step {last} the unbiased chain's E[σ²] is still 1, yet {100 * tiny:.1f} % of "
        f"its {S.gauss_R:,} replicates have σ²_t < 0.01 (E[ln σ²] = "
        f"{g0['ref']['log'][-1]:.2f}).\n\n"
        "![gaussian](figures/model_collapse_gaussian.png)\n")

    # tails
    tail_gens = sorted({0, S.tails_steps // 20, S.tails_steps // 4, S.tails_steps})
    tails = tail_chains(b, seed, generations=tail_gens)
    figure_tails(tails, fig("tails"))
    sections.append(
        "## Tails vanish\n\n"
        "Tail mass (the fraction of a generation's samples beyond the real 1 %/99 % "
        f"quantiles; 0.02 for real data) of the unbiased Gaussian chains above (n = {n_g}, "
        f"{S.gauss_R:,} replicates), the share of replicates whose generation has no "
        "sample there, and the median σ²_t. Two things happen at once: each chain's spread "
        "collapses, so ever more chains produce no tail sample at all; and each chain's "
        "mean wanders (E[(μ_t − μ)²] = Σ_{i≤t} E[σ²_i]/n) and freezes where the spread "
        "dies, so the few chains that froze beyond a real quantile put all their samples "
        "there — the mean tail mass over replicates *rises* while the typical chain's tail "
        "vanishes. Vanishing tails are a statement about each chain, not about the "
        "average over chains.\n\n"
        "| step t | tail mass (mean ± SE) | replicates with no tail sample | "
        "median σ²_t/σ² |\n| --- | --- | --- | --- |\n" + tail_rows + "\n\n"
        "Histograms by generation (log density) of one chain each — a Gaussian refitted to "
        "n = 1000 samples and a Zipf(1.1) unigram model over V = 100 tokens refitted to "
        "n = 500 — drawn from the domain's simulation object with the runner's replicate-0 "
        "seed: the Gaussian's samples narrow and stop reaching the real 1 %/99 % "
        "quantiles; the unigram model keeps its head and loses its tail tokens one by one "
        "(a lost token never returns: 0 is absorbing).\n\n"
        "![tails](figures/model_collapse_tails.png)\n")

    # fresh and weighted
    fr = check_fresh(b, seed + 4, replicates=S.fresh_R, steps=S.fresh_steps, every=5)
    wt = check_weighted(b, seed + 5, replicates=S.weighted_R, steps=S.weighted_steps, every=4)
    figure_fresh_weighted(fr, wt, fig("fresh_weighted"))
    wopt = theory.optimal_real_weight(1.0)
    best = min(wt["points"], key=lambda p: p[1].estimate)
    sections.append(
        "## Fresh real data and the optimal real weight\n\n"
        f"**Fresh fraction λ = {fr['lam']}** (n = {fr['n']}, unbiased): generation t + 1 "
        "trains on m = round(λn) fresh real samples and n − m samples of model t. With "
        "A_t = E[σ²_t], B_t = E[(μ_t − μ)²]: A_{t+1} = [(n − 1)/n·(mσ² + (n − m)A_t) + "
        "m(n − m)/n·B_t]/c, B_{t+1} = ((n − m)/n)²B_t + (mσ² + (n − m)A_t)/n², from "
        "A_0 = σ²(n − 1)/c, B_0 = σ²/n; the stationary variance is the fixed point "
        f"(E[σ²] = {fr['star'][0]:.5f}, E[(μ − μ)²] = {fr['star'][1]:.5f}): fresh data "
        "stops the collapse.\n\n" + tab(fr["rows"]) + "\n\n" + tab(fr["stationary"]) + "\n\n"
        f"**Weighted** (He, Xu & Cheng 2025; known variance, `estimator: mean_only`): "
        f"μ_{{t+1}} = w·x̄_real + (1 − w)·x̄_syn with real_n = {wt['real_n']} fresh real "
        f"and n = {wt['n']} synthetic samples; B_{{t+1}} = (1 − w)²B_t + σ²(w²/real_n + "
        "(1 − w)²/n), stationary B* = σ²(w²/real_n + (1 − w)²/n)/(1 − (1 − w)²), minimised "
        "where k w² + w − 1 = 0 (k = n/real_n): w* = (√(1 + 4k) − 1)/(2k), the reciprocal "
        f"golden ratio {wopt:.5f} at k = 1. Each weight's error averaged over the second "
        "half of its run (one average per replicate):\n\n" + tab(wt["rows"]) + "\n\n"
        f"The smallest simulated error is at w = {best[0]:.4f}.\n\n"
        "![fresh and weighted](figures/model_collapse_fresh_weighted.png)\n")

    # KDE
    kd = check_kde(b, seed + 6, replicates=S.kde_R, steps=S.kde_steps,
                   silverman_steps=S.silverman_steps)
    figure_kde(kd, fig("kde"))
    sections.append(
        "## Kernel density estimates: collapse is not universal\n\n"
        "A KDE's sample is a data point plus h·N(0, 1), so the model's variance is "
        "v_t = s²_t + h² (s²_t the data's MLE variance) and E[n s²_{t+1} | v_t] = "
        "(n − 1)v_t. Resampling loses a fraction 1/n of the variance per generation, as for "
        "the Gaussian; the kernel adds h² back. **Fixed h**: E[v_{t+1}] = ((n − 1)/n)E[v_t] "
        f"+ h², fixed point n h² = {kd['n'] * kd['h'] ** 2:g} — the variance *grows* "
        f"whenever σ² < n h² (here σ² = 1, h = {kd['h']}, n = {kd['n']}). **Silverman's "
        "rule** ties h² to the data's own variance, h² = q ŝ², q = (4/(3n))^(2/5): "
        f"E[v_{{t+1}}] = ((n − 1)/n + q)E[v_t], geometric growth at g = {kd['g']:.4f} per "
        f"generation (n = {kd['n2']}). The smoothing that a density estimator adds at "
        "every refit outweighs what finite sampling removes: the model diffuses instead of "
        "collapsing, and its tails grow (tail mass at the last step "
        f"{kd['tail'][:, -1].mean():.3f} fixed h, {kd['tail2'][:, -1].mean():.3f} "
        "Silverman, against 0.02 for real data). Collapse needs an estimator that, on "
        "average, does not put back the spread it loses.\n\n"
        + tab(kd["rows"]) + "\n\n![kde](figures/model_collapse_kde.png)\n")

    # regression
    rg = check_regression(b, seed + 7, replicates=S.reg_R, steps=S.reg_steps)
    figure_regression(rg, fig("regression"))
    sections.append(
        "## Linear regression: replace grows linearly, accumulate stays bounded\n\n"
        f"OLS on a design of n = {rg['n']} rows x ~ N(0, I_d), d = {rg['d']} (fixed per "
        f"replicate), labels x·ŵ_{{t−1}} + σε, σ = {rg['noise']}; test error "
        "E‖ŵ_t − w*‖² (the excess risk for x ~ N(0, I)). With η_t = (XᵀX)⁻¹Xᵀε_t, "
        "E‖η_t‖² = σ²d/(n − d − 1) (the inverse-Wishart mean). **Replace**: e_t = e_{t−1} "
        "+ η_t, so E‖e_t‖² = (t + 1)σ²d/(n − d − 1), linear (Dohmatob et al. 2024). "
        "**Accumulate**: OLS on t + 1 stacked copies of X is OLS on the mean label, "
        "e_t = e_{t−1} + η_t/(t + 1), so E‖e_t‖² = σ²d/(n − d − 1)·Σ_{i=1}^{t+1} 1/i² ≤ "
        "π²/6 × generation 0's (Gerstgrasser et al. 2024, for this estimator).\n\n"
        + tab(rg["replace"]["rows"]) + "\n\n" + tab(rg["accumulate"]["rows"])
        + "\n\n![regression](figures/model_collapse_regression.png)\n")

    # regimes
    rgm = regimes(b, seed + 20, replicates=S.regimes_R, steps=S.regimes_steps)
    for cls in CLASSES:
        figure_regimes(rgm, fig(f"regimes_{cls}"), cls)
    sections.append(
        "## Data regimes side by side\n\n"
        f"Each model class under replace, accumulate (the real data and every synthetic "
        "generation so far), a fresh real fraction λ = 0.1 and the weighted regime "
        "(real_n = n fresh real samples at the optimal weight; for the categorical and KDE "
        f"models the same weights applied to their fits), {S.regimes_R} replicates each, "
        "means ± 2 SE. Categorical: Zipf(1.1), V = 50, n = 200; Gaussian: unbiased, "
        "n = 20 (logarithms: the means of σ²_t and W2² under replace are carried by rare "
        "replicates, see above); KDE: fixed h = 0.5, n = 20. Replace collapses (or, for the "
        "KDE, diffuses). Accumulate stops the loss — the real data of generation 0 stay in "
        "every training set, so the categorical model keeps every token generation 0 saw, "
        "but never regains one it missed — and the KDE's variance still grows, more "
        "slowly. Fresh and weighted real data hold a stationary state; with real_n = n "
        "fresh samples per generation the weighted categorical model even produces tokens "
        "generation 0 missed. The Gaussian mixture (EM: about 0.35 s "
        "per generation for a batch of 50 replicates on 2 cores) is left to its scenario "
        "`model_collapse_gmm_replace.yaml`: its regimes figure would cost more than the "
        "rest of this page.\n\n"
        + "\n\n".join(f"![regimes {cls}](figures/model_collapse_regimes_{cls}.png)"
                      for cls in CLASSES) + "\n")

    # the overlay
    ov = overlay(b, seed + 30, replicates=S.overlay_R, steps=S.overlay_steps)
    figure_overlay(ov, fig("drift_overlay"))
    shown = _shown(ov["gens"], (5, 10, 25, 50, 100, 150, 200, S.overlay_steps))
    agree = overlay_table(ov, shown)
    n_checks += 2 * len(shown)
    sections.append(
        "## One line, two sciences: model collapse is genetic drift\n\n"
        f"The `drift` domain (Wright–Fisher, N = {ov['N']}, K = {ov['K']} equal types, no "
        f"mutation) and the categorical model (uniform over V = {ov['K']} tokens, "
        f"n = {ov['N']}, replace), {ov['replicates']:,} replicates each through the runner. "
        "Drift generation 0 holds the exact counts N/K; generation 1 is a Multinomial(N, "
        "1/K) draw — exactly the model's step 0, its n real samples. So drift generation "
        "g and model step g − 1 are the same random variable, and both follow "
        "`collapsesim.theory.heterozygosity_decay`: E[H_g] = H_0(1 − 1/N)^g with H_0 = "
        f"{1 - 1 / ov['K']:.1f}. The table compares the two simulations with each other "
        "(difference ± SE of two independent means) beside the exact value; the types "
        "kept are the drift domain's `n_types` and the model's V − `tokens_lost`, exact "
        "value from the Binomial start through the same chain.\n\n"
        + agree + "\n\n" + tab(overlay_comparisons(ov, shown, b), 5) + "\n\n"
        "![drift overlay](figures/model_collapse_drift_overlay.png)\n")

    intro = INTRO.replace("{checks}", str(n_checks))
    head = harness.header("Model collapse: verification against exact theory, and genetic "
                          "drift", DOMAIN, protocol=None, seed=seed, backend=b, started=started,
                          intro=intro)
    return harness.write_page(out, DOMAIN, head, sections)
