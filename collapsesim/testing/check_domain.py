"""The conformance suite every domain must pass, as named checks (in the style
of scikit-learn's ``check_estimator`` / ``parametrize_with_checks``).

Third-party domains call it from their own tests, either all at once::

    from collapsesim.testing import check_domain
    check_domain("my_domain")

or one test id per (domain × backend × check), as collapsesim's own
``tests/test_conformance.py`` does for every registered domain::

    from collapsesim.testing import conformance_cases, run_check

    @pytest.mark.parametrize("case", conformance_cases(["my_domain"]), ids=str)
    def test_conformance(case):
        run_check(case)

Each check runs the domain's ``check_scenario`` (small and fast). Checks that
do not depend on the backend (``well_formed``, ``bad_params_named``,
``default_scenario_valid``) run once per domain; the others once per backend
the domain declares (CUDA only where a GPU is present):

``observations_valid``
    every observation is an Observation per replicate, holds the headline
    series, finite non-negative abundances, and numeric domain metrics;
``shared_metric_recorded``
    a run completes and records every shared metric for every series;
``same_seed_same_numbers``
    the same seed gives identical metrics (CPU);
``replicate_alone_equals_in_run``
    a replicate re-run alone from its spawn key equals the same replicate
    inside the run (CPU) — the seed contract of DESIGN.md;
``config_round_trip``
    the resolved config round-trips through YAML and re-runs to the same
    metrics (CPU);
``divergence_handled``
    a :class:`~collapsesim.domains.base.DivergenceError` raised by ``step()``
    stops the replicate, which keeps what it recorded and reads "diverged";
``finished_stops``
    a simulation whose ``finished`` turns true stops the loop and records a
    final observation at that step;
``backends_agree``
    the backend agrees with the numpy reference — bitwise where the domain
    declares ``agreement[backend] == "exact"``, otherwise statistically: the
    mean over replicates and recorded steps of the headline's relative
    diversity within 4 standard errors of the difference.
"""

from __future__ import annotations

import contextlib
import copy
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np
import pandas as pd
import yaml

from ..config import BACKENDS, ConfigError, load
from ..domains.base import DivergenceError, Domain, DomainParams, Observation, Observations
from ..engine.backends import get_backend
from ..metrics import SHARED_METRICS
from ..registry import available, get_domain
from ..runner import execute


class ConformanceError(AssertionError):
    pass


def _require(cond: bool, msg: str) -> None:
    if not cond:
        raise ConformanceError(msg)


def _cls(domain) -> type[Domain]:
    return get_domain(domain) if isinstance(domain, str) else domain


def _scenario(cls: type[Domain], backend: str, device: str = "cpu", **extra) -> dict:
    sc = copy.deepcopy(cls.check_scenario)
    _require(bool(sc), f"{cls.name}: define a small `check_scenario` for the conformance suite")
    sc.setdefault("steps", 20)
    sc.setdefault("record_every", 5)
    sc.setdefault("replicates", 2)
    sc.update(domain=cls.name, name=f"check-{cls.name}", seed=sc.get("seed", 12345),
              backend=backend, device=device)
    sc.update(extra)
    return sc


def _sorted_values(df: pd.DataFrame) -> np.ndarray:
    return df.sort_values(["replicate", "step", "series", "metric"])["value"].to_numpy()


@lru_cache(maxsize=32)
def _baseline(cls: type[Domain], backend: str, device: str):
    """The check scenario run once per (domain, backend, device), shared by the checks."""
    return execute(load(_scenario(cls, backend, device)))


# -- checks that do not depend on the backend --------------------------------------------


def check_well_formed(cls: type[Domain]) -> None:
    _require(issubclass(cls, Domain), f"{cls!r} is not a Domain")
    _require(isinstance(cls.Params, type) and issubclass(cls.Params, DomainParams),
             f"{cls.name}: Params must subclass DomainParams (unknown keys forbidden)")
    _require(bool(cls.headline), f"{cls.name}: no headline series")
    _require(set(cls.backends) <= set(BACKENDS) and bool(cls.backends),
             f"{cls.name}: backends must be a non-empty subset of {BACKENDS}")
    unknown = set(cls.agreement) - set(cls.backends)
    _require(not unknown, f"{cls.name}: agreement names undeclared backends {sorted(unknown)}")
    _require(set(cls.agreement.values()) <= {"exact", "statistical"},
             f"{cls.name}: agreement values must be 'exact' or 'statistical'")


def check_bad_params_named(cls: type[Domain]) -> None:
    sc = _scenario(cls, cls.backends[0])
    bad = copy.deepcopy(sc)
    bad.setdefault("params", {})["no_such_parameter"] = 1
    try:
        load(bad)
    except ConfigError as exc:
        _require("params.no_such_parameter" in str(exc),
                 f"{cls.name}: unknown param error does not name the key: {exc}")
    else:
        raise ConformanceError(f"{cls.name}: an unknown parameter was accepted")
    for name, field in cls.Params.model_fields.items():
        if field.annotation in (int, float):
            bad = copy.deepcopy(sc)
            bad.setdefault("params", {})[name] = "not-a-number"
            try:
                load(bad)
            except ConfigError as exc:
                _require(f"params.{name}" in str(exc),
                         f"{cls.name}: wrong-type error does not name params.{name}: {exc}")
            else:
                raise ConformanceError(f"{cls.name}: params.{name}='not-a-number' was accepted")


def _has_default_scenario(cls: type[Domain]) -> bool:
    from ..domains import BUILTIN

    return cls.name in BUILTIN or cls.default_scenario is not None


def check_default_scenario_valid(cls: type[Domain]) -> None:
    from ..config import bundled_scenarios

    path = cls.default_scenario or bundled_scenarios().get(cls.name)
    _require(path is not None, f"{cls.name}: no default scenario scenarios/{cls.name}.yaml")
    cfg = load(path)
    _require(cfg.domain == cls.name, f"{path}: domain is {cfg.domain!r}, not {cls.name!r}")


# -- checks per backend -----------------------------------------------------------------------


def _unstack(cls, obs: Observations, R: int) -> list[Observation]:
    """Stacked observations as R :class:`Observation` (NaN metrics dropped), checked."""
    _require(len(obs) == R, f"{cls.name}: stacked observations of {len(obs)} rows for {R} replicates")
    for name, s in obs.series.items():
        _require(np.ndim(s.abundances) == 2, f"{cls.name}: stacked series {name!r} is not (R, K)")
    for k, v in obs.metrics.items():
        _require(np.shape(v) == (R,), f"{cls.name}: stacked metric {k!r} has shape {np.shape(v)}")
    return list(obs)


def _check_observation(cls, obs: Observation) -> None:
    _require(isinstance(obs, Observation), f"{cls.name}: observe() must return Observation(s)")
    _require(cls.headline in obs.series, f"{cls.name}: headline series {cls.headline!r} missing")
    for name, s in obs.series.items():
        a = s.abundances
        a = a.detach().cpu().numpy() if hasattr(a, "detach") else np.asarray(a, dtype=float)
        _require(bool(np.all(np.isfinite(a)) and np.all(a >= 0)),
                 f"{cls.name}: series {name!r} has negative or non-finite abundances")
    for k, v in obs.metrics.items():
        _require(isinstance(k, str), f"{cls.name}: domain metric names must be strings")
        float(v)  # must be convertible


def check_observations_valid(cls: type[Domain], backend: str, device: str = "cpu") -> None:
    cfg = load(_scenario(cls, backend, device))
    seeds = [np.random.SeedSequence(cfg.seed, spawn_key=(j,)) for j in range(cfg.replicates)]
    groups = [seeds] if cls.batched else [[s] for s in seeds]
    for group in groups:
        sim = cls().build(cfg.params, backend=get_backend(backend, device), seeds=group,
                          steps=cfg.steps)
        for t in range(min(cfg.steps, 3) + 1):
            obs = sim.observe()
            if isinstance(obs, Observations):
                obs = _unstack(cls, obs, len(group))
            obs = [obs] if isinstance(obs, Observation) else list(obs)
            _require(len(obs) == len(group), f"{cls.name}: {len(obs)} observations for "
                                             f"{len(group)} replicates")
            for o in obs:
                _check_observation(cls, o)
            if t < cfg.steps:
                sim.step()


def check_shared_metric_recorded(cls: type[Domain], backend: str, device: str = "cpu") -> None:
    a = _baseline(cls, backend, device)
    _require(a.summary["status"] == "completed",
             f"{cls.name}/{backend}: check scenario did not complete: {a.summary['per_replicate']}")
    m = a.metrics
    for s in set(m["series"]) - {"domain", "samples"}:
        got = set(m.loc[m["series"] == s, "metric"])
        _require(set(SHARED_METRICS) <= got, f"{cls.name}: series {s!r} lacks "
                                             f"{sorted(set(SHARED_METRICS) - got)}")


def check_same_seed_same_numbers(cls: type[Domain], backend: str, device: str = "cpu") -> None:
    a = _baseline(cls, backend, device)
    b = execute(load(_scenario(cls, backend, device)))
    _require(np.array_equal(_sorted_values(a.metrics), _sorted_values(b.metrics), equal_nan=True),
             f"{cls.name}/{backend}: the same seed gave different metrics")


def check_replicate_alone_equals_in_run(cls: type[Domain], backend: str,
                                        device: str = "cpu") -> None:
    sc = _scenario(cls, backend, device)
    m = _baseline(cls, backend, device).metrics
    last = sc["replicates"] - 1
    alone = execute(load(sc), spawn_keys=[(last,)], replicate_ids=[last]).metrics
    inside = m[m["replicate"] == last]
    _require(np.array_equal(_sorted_values(alone), _sorted_values(inside), equal_nan=True),
             f"{cls.name}/{backend}: replicate {last} re-run alone differs from the run")


def check_config_round_trip(cls: type[Domain], backend: str, device: str = "cpu") -> None:
    a = _baseline(cls, backend, device)
    resolved = a.config.resolved()
    again = load(yaml.safe_load(yaml.safe_dump(resolved)))
    _require(again.resolved() == resolved, f"{cls.name}: resolved config does not round-trip")
    c = execute(again)
    _require(np.array_equal(_sorted_values(a.metrics), _sorted_values(c.metrics), equal_nan=True),
             f"{cls.name}/{backend}: the resolved config does not re-run to the same metrics")


class _Wrapped:
    """A built simulation whose ``step`` diverges, or whose ``finished`` turns
    true, after ``at`` steps; everything else is the domain's own."""

    def __init__(self, sim, at: int, mode: str):
        self._sim, self._at, self._mode, self._t = sim, at, mode, 0

    def step(self):
        if self._mode == "diverge" and self._t + 1 == self._at:
            raise DivergenceError("conformance check: injected divergence")
        self._sim.step()
        self._t += 1

    @property
    def finished(self):
        return self._mode == "finish" and self._t >= self._at

    def observe(self):
        return self._sim.observe()


@contextlib.contextmanager
def _wrapped_build(cls: type[Domain], at: int, mode: str):
    original = cls.build

    def build(self, *args, **kwargs):
        return _Wrapped(original(self, *args, **kwargs), at, mode)

    cls.build = build
    try:
        yield
    finally:
        cls.build = original


def _fault_scenario(cls, backend, device):
    sc = _scenario(cls, backend, device)
    sc["record_every"] = 1
    sc["steps"] = max(int(sc["steps"]), 4)
    return sc


def check_divergence_handled(cls: type[Domain], backend: str, device: str = "cpu") -> None:
    at = 3
    sc = _fault_scenario(cls, backend, device)
    with _wrapped_build(cls, at, "diverge"):
        res = execute(load(sc))
    per = res.summary["per_replicate"]
    _require(all(r["status"] == "diverged" for r in per),
             f"{cls.name}/{backend}: an injected DivergenceError did not mark replicates "
             f"diverged: {[r['status'] for r in per]}")
    steps = sorted(set(res.metrics["step"]))
    _require(steps == list(range(at)),
             f"{cls.name}/{backend}: a replicate diverging at step {at} should keep steps "
             f"0..{at - 1}, kept {steps}")


def check_finished_stops(cls: type[Domain], backend: str, device: str = "cpu") -> None:
    at = 2
    sc = _fault_scenario(cls, backend, device)
    sc["record_every"] = sc["steps"]  # only the finishing observation is off the grid
    with _wrapped_build(cls, at, "finish"):
        res = execute(load(sc))
    per = res.summary["per_replicate"]
    _require(all(r["status"] == "completed" and r["steps_run"] == at for r in per),
             f"{cls.name}/{backend}: finished after {at} steps should complete at step {at}: "
             f"{[(r['status'], r['steps_run']) for r in per]}")
    _require(sorted(set(res.metrics["step"])) == [0, at],
             f"{cls.name}/{backend}: the finishing step {at} was not recorded")


def _headline_rd(res, headline: str) -> np.ndarray:
    m = res.metrics
    sel = m[(m["series"] == headline) & (m["metric"] == "relative_diversity")]
    return sel.groupby("replicate")["value"].mean().to_numpy()


def check_backends_agree(cls: type[Domain], backend: str, device: str = "cpu") -> None:
    reference = "numpy" if "numpy" in cls.backends else cls.backends[0]
    if backend == reference:
        return
    how = cls.agreement.get(backend, "statistical")
    if how == "exact" and device == "cpu":
        a, b = _baseline(cls, reference, "cpu"), _baseline(cls, backend, device)
        _require(np.array_equal(_sorted_values(a.metrics), _sorted_values(b.metrics),
                                equal_nan=True),
                 f"{cls.name}: {backend} differs from {reference}, declared exact")
        return
    reps = max(8, int(_scenario(cls, backend)["replicates"]))
    a = execute(load(_scenario(cls, reference, "cpu", replicates=reps)))
    b = execute(load(_scenario(cls, backend, device, replicates=reps, seed=54321)))
    x, y = _headline_rd(a, cls.headline), _headline_rd(b, cls.headline)
    se = np.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))
    diff = abs(x.mean() - y.mean())
    _require(diff <= 4 * se + 1e-9,
             f"{cls.name}: {backend} headline relative diversity {y.mean():.4f} vs "
             f"{reference} {x.mean():.4f}: |difference| {diff:.4f} > 4 SE ({4 * se:.4f})")


# -- the registry of checks ---------------------------------------------------------------------

DOMAIN_CHECKS: dict[str, Callable] = {
    "well_formed": check_well_formed,
    "bad_params_named": check_bad_params_named,
    "default_scenario_valid": check_default_scenario_valid,
}
BACKEND_CHECKS: dict[str, Callable] = {
    "observations_valid": check_observations_valid,
    "shared_metric_recorded": check_shared_metric_recorded,
    "same_seed_same_numbers": check_same_seed_same_numbers,
    "replicate_alone_equals_in_run": check_replicate_alone_equals_in_run,
    "config_round_trip": check_config_round_trip,
    "divergence_handled": check_divergence_handled,
    "finished_stops": check_finished_stops,
    "backends_agree": check_backends_agree,
}
CPU_ONLY = {"same_seed_same_numbers", "replicate_alone_equals_in_run", "config_round_trip"}


@dataclass(frozen=True)
class Case:
    """One conformance test: a check of a domain (on a backend and device)."""

    domain: str
    check: str
    backend: str | None = None
    device: str = "cpu"

    def __str__(self) -> str:
        where = "" if self.backend is None else f"-{self.backend}" + (
            "-cuda" if self.device == "cuda" else "")
        return f"{self.domain}{where}-{self.check}"


def conformance_cases(domains=None, *, cuda: bool = True) -> list[Case]:
    """Every (domain × check) and (domain × backend × check) case, for the
    registered domains (or ``domains``). With ``cuda``, torch domains get CUDA
    cases too (callers skip them where no GPU is present)."""
    cases = []
    for name in (available() if domains is None else domains):
        cls = _cls(name)
        cases += [Case(cls.name, c) for c in DOMAIN_CHECKS
                  if c != "default_scenario_valid" or _has_default_scenario(cls)]
        reference = "numpy" if "numpy" in cls.backends else cls.backends[0]
        for backend in cls.backends:
            devices = ["cpu"] + (["cuda"] if cuda and backend == "torch" else [])
            for device in devices:
                for c in BACKEND_CHECKS:
                    if c == "backends_agree" and backend == reference:
                        continue
                    if device == "cuda" and c in CPU_ONLY:
                        continue  # CUDA is statistically, not bitwise, reproducible
                    cases.append(Case(cls.name, c, backend, device))
    return cases


def run_check(case: Case) -> None:
    """Run one conformance case; raise :class:`ConformanceError` if it fails."""
    cls = _cls(case.domain)
    if case.backend is None:
        DOMAIN_CHECKS[case.check](cls)
    else:
        BACKEND_CHECKS[case.check](cls, case.backend, case.device)


def check_domain(domain, backends=None) -> None:
    """Run every conformance check on ``domain`` (a name or class) on
    ``backends`` (default: those it declares; CUDA where a GPU is present);
    raise :class:`ConformanceError` on the first failure."""
    import torch

    cls = _cls(domain)
    for case in conformance_cases([cls], cuda=torch.cuda.is_available()):
        if case.backend is None or backends is None or case.backend in backends:
            run_check(case)
