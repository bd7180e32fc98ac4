"""The conformance suite every domain must pass (like scikit-learn's
``check_estimator``). Third-party domains call it from their own tests::

    from collapsesim.testing import check_domain
    check_domain("my_domain")

It runs the domain's ``check_scenario`` (small and fast) on every backend the
domain claims (CUDA only where a GPU is present) and checks that:

1. the class is well formed (a DomainParams model, a headline, known backends);
2. every observation's abundances are finite and non-negative, the headline
   series is present, and the shared metric is recorded for every series;
3. the same seed gives identical metrics, a replicate re-run alone from its
   spawn key equals the same replicate inside the run (CPU backends);
4. the resolved config round-trips (load → dump → load gives the same config)
   and re-runs to the same metrics;
5. bad parameters give a ConfigError naming the key: an unknown key, and a
   wrong type for each numeric parameter.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import yaml

from ..config import BACKENDS, ConfigError, load
from ..domains.base import Domain, DomainParams, Observation
from ..engine.backends import get_backend
from ..metrics import SHARED_METRICS
from ..registry import get_domain
from ..runner import execute


class ConformanceError(AssertionError):
    pass


def _require(cond: bool, msg: str) -> None:
    if not cond:
        raise ConformanceError(msg)


def _scenario(cls: type[Domain], backend: str, device: str = "cpu") -> dict:
    sc = copy.deepcopy(cls.check_scenario)
    _require(bool(sc), f"{cls.name}: define a small `check_scenario` for the conformance suite")
    sc.setdefault("steps", 20)
    sc.setdefault("record_every", 5)
    sc.setdefault("replicates", 2)
    sc.update(domain=cls.name, name=f"check-{cls.name}", seed=sc.get("seed", 12345),
              backend=backend, device=device)
    return sc


def _sorted_values(df: pd.DataFrame) -> np.ndarray:
    return df.sort_values(["replicate", "step", "series", "metric"])["value"].to_numpy()


def _check_observation(cls, obs: Observation) -> None:
    _require(isinstance(obs, Observation), f"{cls.name}: observe() must return Observation(s)")
    _require(cls.headline in obs.series, f"{cls.name}: headline series {cls.headline!r} missing")
    for name, s in obs.series.items():
        a = s.abundances
        a = a.detach().cpu().numpy() if hasattr(a, "detach") else np.asarray(a, dtype=float)
        _require(np.all(np.isfinite(a)) and np.all(a >= 0),
                 f"{cls.name}: series {name!r} has negative or non-finite abundances")
    for k, v in obs.metrics.items():
        _require(isinstance(k, str), f"{cls.name}: domain metric names must be strings")
        float(v)  # must be convertible


def _check_class(cls: type[Domain]) -> None:
    _require(issubclass(cls, Domain), f"{cls!r} is not a Domain")
    _require(isinstance(cls.Params, type) and issubclass(cls.Params, DomainParams),
             f"{cls.name}: Params must subclass DomainParams (unknown keys forbidden)")
    _require(bool(cls.headline), f"{cls.name}: no headline series")
    _require(set(cls.backends) <= set(BACKENDS) and cls.backends,
             f"{cls.name}: backends must be a non-empty subset of {BACKENDS}")


def _check_observations(cls: type[Domain], backend: str, device: str) -> None:
    sc = _scenario(cls, backend, device)
    cfg = load(sc)
    seeds = [np.random.SeedSequence(cfg.seed, spawn_key=(j,)) for j in range(cfg.replicates)]
    groups = [seeds] if cls.batched else [[s] for s in seeds]
    for group in groups:
        sim = cls().build(cfg.params, backend=get_backend(backend, device), seeds=group,
                          steps=cfg.steps)
        for t in range(min(cfg.steps, 3) + 1):
            obs = sim.observe()
            obs = [obs] if isinstance(obs, Observation) else list(obs)
            _require(len(obs) == len(group), f"{cls.name}: {len(obs)} observations for "
                                             f"{len(group)} replicates")
            for o in obs:
                _check_observation(cls, o)
            if t < cfg.steps:
                sim.step()


def _check_runs(cls: type[Domain], backend: str, device: str) -> None:
    sc = _scenario(cls, backend, device)
    a = execute(load(sc))
    _require(a.summary["status"] == "completed",
             f"{cls.name}/{backend}: check scenario did not complete: {a.summary['per_replicate']}")
    m = a.metrics
    for s in set(m["series"]) - {"domain", "samples"}:
        got = set(m.loc[m["series"] == s, "metric"])
        _require(set(SHARED_METRICS) <= got, f"{cls.name}: series {s!r} lacks "
                                             f"{sorted(set(SHARED_METRICS) - got)}")
    if device == "cuda":
        return  # CUDA is statistically, not bitwise, reproducible (DESIGN.md)
    b = execute(load(sc))
    _require(np.array_equal(_sorted_values(m), _sorted_values(b.metrics), equal_nan=True),
             f"{cls.name}/{backend}: the same seed gave different metrics")
    # config round trip: resolved → YAML → load → same resolved, same metrics
    resolved = a.config.resolved()
    again = load(yaml.safe_load(yaml.safe_dump(resolved)))
    _require(again.resolved() == resolved, f"{cls.name}: resolved config does not round-trip")
    c = execute(again)
    _require(np.array_equal(_sorted_values(m), _sorted_values(c.metrics), equal_nan=True),
             f"{cls.name}/{backend}: the resolved config does not re-run to the same metrics")
    # a replicate re-run alone equals the same replicate inside the run
    last = sc["replicates"] - 1
    alone = execute(load(sc), spawn_keys=[(last,)], replicate_ids=[last]).metrics
    inside = m[m["replicate"] == last]
    _require(np.array_equal(_sorted_values(alone), _sorted_values(inside), equal_nan=True),
             f"{cls.name}/{backend}: replicate {last} re-run alone differs from the run")


def _check_bad_params(cls: type[Domain]) -> None:
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


def check_domain(domain, backends=None) -> None:
    """Run the conformance suite on ``domain`` (a name or class); raise
    :class:`ConformanceError` on the first failure."""
    cls = get_domain(domain) if isinstance(domain, str) else domain
    _check_class(cls)
    _check_bad_params(cls)
    import torch

    for backend in backends or cls.backends:
        devices = ["cpu"] + (["cuda"] if backend == "torch" and torch.cuda.is_available() else [])
        for device in devices:
            _check_observations(cls, backend, device)
            _check_runs(cls, backend, device)
