"""The runner: owns the loop, the replicates and their seeds, recording,
progress and error handling. Domains own only their science.

Seeds (DESIGN.md): replicate j of a run draws from
``SeedSequence(seed, spawn_key=(j,))``; a batch passes its own spawn keys
``(h_c, j)``. A batched domain gets all its replicates' seeds at once.

Every ``record_every`` steps (and at step 0 and the last step) the runner calls
``observe()``, turns each series into the shared metric and appends tidy rows.
A :class:`~collapsesim.domains.base.DivergenceError` (NaN/inf state or loss,
all-zero weights) stops that replicate cleanly, keeping what it recorded;
Ctrl-C stops the run and keeps everything recorded so far.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .config import ScenarioConfig, load
from .domains.base import DivergenceError, Observation
from .engine.backends import get_backend
from .metrics import diversity, vendi
from .progress import Progress
from .registry import get_domain
from .results import Result, build_summary


@dataclass
class _Recorder:
    """Columnar store of tidy rows for one run (many replicates)."""

    replicate: list = field(default_factory=list)
    step: list = field(default_factory=list)
    series: list = field(default_factory=list)
    metric: list = field(default_factory=list)
    value: list = field(default_factory=list)

    def add(self, rep: int, step: int, series: str, metrics: dict) -> None:
        for name, v in metrics.items():
            self.replicate.append(rep)
            self.step.append(step)
            self.series.append(series)
            self.metric.append(name)
            self.value.append(math.nan if v is None else float(v))


def _record(rec: _Recorder, obs_list: Sequence[Observation], reps: Sequence[int], step: int) -> None:
    if len(obs_list) != len(reps):
        raise RuntimeError(f"observe() returned {len(obs_list)} observations for {len(reps)} replicates")
    for rep, obs in zip(reps, obs_list):
        for name, s in obs.series.items():
            try:
                values = diversity(s.abundances, s.reference)
            except ValueError as exc:
                raise DivergenceError(f"series {name!r}: {exc}") from None
            rec.add(rep, step, name, values)
        if obs.samples is not None:
            rec.add(rep, step, "samples", vendi(obs.samples))
        if obs.metrics:
            rec.add(rep, step, "domain", obs.metrics)


def _observe(sim) -> list[Observation]:
    obs = sim.observe()
    return [obs] if isinstance(obs, Observation) else list(obs)


def execute(cfg: ScenarioConfig, *, spawn_keys: Sequence[tuple] | None = None,
            replicate_ids: Sequence[int] | None = None, quiet: bool = True,
            source: str | None = None, run_label: str | None = None) -> Result:
    """Run a validated scenario; ``spawn_keys`` default to ``(j,)`` for j < replicates.
    Run ids are ``<run_label>-seed<seed>-rep<j>`` (``run_label`` defaults to the
    scenario's name; a batch adds the cell hash)."""
    domain_cls = get_domain(cfg.domain)
    domain = domain_cls()
    backend = get_backend(cfg.backend, cfg.device)
    if spawn_keys is None:
        spawn_keys = [(j,) for j in range(cfg.replicates)]
    if replicate_ids is None:
        replicate_ids = [int(k[-1]) for k in spawn_keys]
    seeds = [np.random.SeedSequence(cfg.seed, spawn_key=tuple(k)) for k in spawn_keys]
    pairs = list(zip(replicate_ids, seeds))
    groups = [pairs] if domain_cls.batched else [[p] for p in pairs]

    rec = _Recorder()
    status = {rid: {"status": "completed", "message": "", "steps_run": 0, "wall_time_s": 0.0}
              for rid in replicate_ids}
    bar = Progress(total=cfg.steps * len(groups), quiet=quiet,
                   label=f"{cfg.name or cfg.domain} [{cfg.backend}]")
    interrupted = False
    t_start = time.perf_counter()
    try:
        for group in groups:
            reps = [r for r, _ in group]
            t0 = time.perf_counter()
            t = at = 0  # t: steps completed; at: the step being simulated or recorded
            try:
                sim = domain.build(cfg.params, backend=backend, seeds=[s for _, s in group],
                                   steps=cfg.steps)
                _record(rec, _observe(sim), reps, 0)
                while t < cfg.steps:
                    at = t + 1
                    sim.step()
                    t += 1
                    bar.update(1)
                    finished = bool(getattr(sim, "finished", False))
                    if t % cfg.record_every == 0 or t == cfg.steps or finished:
                        _record(rec, _observe(sim), reps, t)
                    if finished:
                        bar.update(cfg.steps - t)
                        break
            except DivergenceError as exc:
                for r in reps:
                    status[r].update(status="diverged", message=f"step {at}: {exc}")
                bar.update(cfg.steps - t)
            finally:
                for r in reps:
                    status[r]["steps_run"] = t
                    status[r]["wall_time_s"] = time.perf_counter() - t0
    except KeyboardInterrupt:
        interrupted = True
        for r, st in status.items():
            if st["status"] == "completed" and st["steps_run"] < cfg.steps:
                st.update(status="interrupted", message="stopped by Ctrl-C")
    finally:
        bar.close()
    wall = time.perf_counter() - t_start

    import pandas as pd

    label = run_label or cfg.name or cfg.domain
    run_ids = {r: f"{label}-seed{cfg.seed}-rep{r}" for r in replicate_ids}
    n = len(rec.value)
    df = pd.DataFrame({
        "run_id": pd.Series([run_ids[r] for r in rec.replicate], dtype="string"),
        "scenario": pd.Series([cfg.name] * n, dtype="string"),
        "domain": pd.Series([cfg.domain] * n, dtype="string"),
        "seed": np.full(n, cfg.seed, dtype=np.int64),
        "replicate": np.asarray(rec.replicate, dtype=np.int64),
        "step": np.asarray(rec.step, dtype=np.int64),
        "series": pd.Series(rec.series, dtype="string"),
        "metric": pd.Series(rec.metric, dtype="string"),
        "value": np.asarray(rec.value, dtype=np.float64),
    })
    summary = build_summary(df, cfg, domain_cls, status, run_ids, wall_time_s=wall,
                            spawn_keys=dict(zip(replicate_ids, spawn_keys)), source=source)
    result = Result(metrics=df, summary=summary, config=cfg)
    result.interrupted = interrupted
    return result


def run(scenario, *, seed: int | None = None, backend: str | None = None,
        device: str | None = None, steps: int | None = None, replicates: int | None = None,
        set: Sequence[str] | None = None, out=None, quiet: bool = True) -> Result:
    """Run a scenario (a path, a bundled scenario's name, or a dict) and return
    its :class:`~collapsesim.results.Result`; with ``out``, also write the run
    directory (metrics.parquet, summary.json, config.yaml, diversity.png).

    Keyword arguments override the file, like the CLI's options; ``set`` takes
    ``key.path=value`` strings."""
    overrides = list(set or [])
    for key, val in (("seed", seed), ("backend", backend), ("device", device),
                     ("steps", steps), ("replicates", replicates)):
        if val is not None:
            overrides.append(f"{key}={val}")
    cfg = load(scenario, overrides)
    result = execute(cfg, quiet=quiet, source=None if isinstance(scenario, dict) else str(scenario))
    if out is not None:
        result.save(out)
    return result

