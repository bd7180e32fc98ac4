"""The runner: owns the loop, the replicates and their seeds, recording,
checkpoints, signals, progress and error handling. Domains own only their science.

Seeds (DESIGN.md): replicate j of a run draws from
``SeedSequence(seed, spawn_key=(j,))``; a batch passes its own spawn keys
``(h_c, j)``. A batched domain gets all its replicates' seeds at once, as one
*group*; any other domain runs one group per replicate, in order.

Every ``record_every`` steps (and at step 0 and the last step) the runner calls
``observe()``, turns each series into the shared metric and appends tidy rows.
A :class:`~collapsesim.domains.base.DivergenceError` (NaN/inf state or loss,
all-zero weights) stops that group cleanly, keeping what it recorded; an
interrupt (Ctrl-C, or SIGTERM/SIGHUP under :func:`stop_signals`) stops the run
and keeps everything recorded so far. A replicate's status is ``completed``
(ran all steps or ended through ``finished``), ``diverged`` or ``interrupted``.

With an output folder (``out``) the run is recorded *into* it as it goes
(docs/reliability.md): the folder is checked and created before the first step
(an existing run is refused unless ``overwrite``); ``config.yaml`` and
``run.json`` (the run's identity: spawn keys, replicate ids, label) are written
first; every observation is appended and flushed to ``records.jsonl``; with
``checkpoint_every=n`` a simulation that implements ``state_dict()`` is saved
atomically every n steps to ``checkpoints/rep<first replicate>.pkl``; at the end
``metrics.parquet``, ``summary.json`` and ``diversity.png`` are written. A run
whose every group ended drops its log and checkpoints and is marked complete;
an interrupted or killed one keeps them, and :func:`resume` continues it: ended
groups are kept, an unfinished group restarts from its checkpoint (its rows
after the checkpoint are dropped and re-made) or from step 0 without one. The
resumed run's rows equal an uninterrupted run's.

Domain artefacts: when the domain's params have ``export: true`` and the run
has a folder, the runner calls ``sim.export([<out>/replicates/<j>, ...])`` (one
created folder per replicate of the group) when the group ends, whatever its
status.
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import pickle
import shutil
import signal
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import ScenarioConfig, dump, load, option_overrides
from .domains.base import DivergenceError, Observation, Observations
from .engine.backends import get_backend
from .engine.rng import ReplicateSeeds
from .metrics import diversity, diversity_rows, vendi
from .progress import Progress
from .registry import get_domain
from .results import Records, Result, build_summary, write_atomic

STOP_SIGNALS = tuple(getattr(signal, s) for s in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, s))
RUN_JSON, LOG, CHECKPOINTS, REPLICATES = "run.json", "records.jsonl", "checkpoints", "replicates"
RUN_FILES = ("metrics.parquet", "summary.json", "config.yaml", "diversity.png", RUN_JSON, LOG)


class RunFolderError(ValueError):
    """An output or resume folder that cannot be used; ``str()`` is one line naming it."""


# -- signals ----------------------------------------------------------------------


class _StopState:
    """Which stop signal arrived first (None: none); after the first, or once
    the loop has ended (``shield``), signals are only noted, never raised, so
    that the records are always written."""

    def __init__(self):
        self.signum: int | None = None
        self.armed = False
        self.shield = False

    def handler(self, signum, frame):
        if self.signum is None:
            self.signum = signum
            if self.armed and not self.shield:
                raise KeyboardInterrupt


_STOP = _StopState()


@contextlib.contextmanager
def stop_signals():
    """While active (main thread only), SIGINT, SIGTERM and SIGHUP stop a run
    like Ctrl-C: the first one interrupts the loop, every later one is ignored
    until the run's files are written. Yields the state; ``.signum`` is the
    signal that stopped the run (None if none)."""
    if threading.current_thread() is not threading.main_thread():
        yield _StopState()
        return
    global _STOP
    prev_state, _STOP = _STOP, _StopState()
    old = {s: signal.signal(s, _STOP.handler) for s in STOP_SIGNALS}
    _STOP.armed = True
    try:
        yield _STOP
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        _STOP = prev_state


def _signal_name(signum: int | None) -> str:
    return signal.Signals(signum).name if signum else "SIGINT"


# -- the run folder -----------------------------------------------------------------


def prepare_folder(out, *, overwrite: bool = False) -> Path:
    """Check and create the output folder before the first step. An existing
    non-empty folder is refused unless ``overwrite``; overwrite removes only a
    collapsesim run's files, and refuses a folder that holds no run."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise RunFolderError(f"{out}: exists and is not a folder; choose another --out")
    if out.is_dir() and any(out.iterdir()):
        is_run = any((out / f).exists() for f in (RUN_JSON, "summary.json"))
        if not overwrite:
            if is_run:
                raise RunFolderError(f"{out}: already holds a run; pass --overwrite to replace it, "
                                     f"or --resume {out} to continue it")
            raise RunFolderError(f"{out}: folder is not empty and holds no collapsesim run; "
                                 "choose an empty or new --out")
        if not is_run:
            raise RunFolderError(f"{out}: holds no collapsesim run; refusing to overwrite it")
        for f in RUN_FILES:
            (out / f).unlink(missing_ok=True)
        for d in (CHECKPOINTS, REPLICATES):
            shutil.rmtree(out / d, ignore_errors=True)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / RUN_JSON
        probe.touch()
    except OSError as exc:
        raise RunFolderError(f"{out}: cannot create the run folder ({exc.strerror or exc})") from None
    return out


def _write_json(path: Path, obj) -> None:
    # not indented: json's C encoder (run.json holds every replicate's spawn key)
    write_atomic(path, json.dumps(obj).encode())


class _Log:
    """The append-only record of a run: one JSON line per observation
    (``{"step", "rows": [[replicate, series, metric, value], ...]}``, or for
    stacked observations ``{"step", "chunks": [[series, metric, replicates,
    values], ...]}``, each column :func:`_packed`: a few strings, not one list
    per row) or end of replicates (``{"ends": {"replicate": [...], "status":
    [...], ...}}``, their status fields as columns), flushed as written. The
    ends of a frozen batch, observed together, add one step per row
    (``"steps"``, or a fifth chunk column) and give the latest as ``"step"``.
    :func:`read_log` also reads the earlier forms: chunk columns as plain lists,
    ends as ``{"end": {replicate: status}}``."""

    def __init__(self, path: Path):
        self.f = open(path, "a", encoding="utf-8")  # noqa: SIM115 - open for the whole run; close()

    def write(self, event: dict) -> None:
        self.f.write(json.dumps(event) + "\n")
        self.f.flush()

    def close(self) -> None:
        self.f.close()


def read_log(path: Path) -> list[dict]:
    """The events of ``records.jsonl``, up to the first torn or unreadable line;
    observations as ``{"step", "rows"}`` (chunks expanded into rows)."""
    events = []
    if not path.is_file():
        return events
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.endswith("\n"):
                break
            try:
                ev = json.loads(line)
            except json.JSONDecodeError:
                break
            events.append(_chunk_event(ev) if "chunks" in ev else
                          _end_event(ev) if "ends" in ev else ev)
    return events


def _packed(a: np.ndarray) -> dict:
    """An integer or float array as JSON: ``{"i8" or "f8": base64 of its
    little-endian 64-bit values}`` — exact (NaN and infinities included), and
    written without a decimal repr per value."""
    kind = "i8" if a.dtype.kind in "biu" else "f8"
    data = np.ascontiguousarray(a, dtype="<" + kind).tobytes()
    return {kind: base64.b64encode(data).decode("ascii")}


def _unpacked(column) -> list:
    """A logged chunk column as a list: :func:`_packed`'s form, or a plain list."""
    if isinstance(column, dict):
        ((kind, text),) = column.items()
        return np.frombuffer(base64.b64decode(text), dtype="<" + kind).tolist()
    return column


def _end_event(ev: dict) -> dict:
    """A logged group end of status columns (``{"ends": {"replicate": [...],
    "status": [...], ...}}``) as ``{"end": {replicate: status}}``."""
    return {"end": _by_replicate(ev["ends"])}


def _chunk_event(ev: dict) -> dict:
    """A logged observation of column chunks ``[series, metric, replicates,
    values]`` (and, for the ends of a frozen batch observed together, a fifth
    column of per-row steps) as one event of ``[replicate, series, metric,
    value]`` rows in the chunks' order, with ``steps`` per row when given."""
    chunks = [[series, metric, *map(_unpacked, cols)] for series, metric, *cols in ev["chunks"]]
    rows = [[r, series, metric, v] for series, metric, reps, values, *_ in chunks
            for r, v in zip(reps, values)]
    if any(len(c) > 4 for c in chunks):
        return {"step": ev["step"], "rows": rows, "steps": [st for c in chunks for st in c[4]]}
    return {"step": ev["step"], "rows": rows}


# -- per-replicate status -------------------------------------------------------------


class _Statuses:
    """Each replicate's status (``summary.json``'s ``per_replicate`` fields
    ``status, message, steps_run, last_recorded_step, wall_time_s``), held in
    columns by position in the run's replicate order, so that a batch of 10^5
    replicates ends and records in array operations; :meth:`columns` gives
    them as lists (and :func:`_by_replicate` as a dict per replicate)."""

    STATES = ("pending", "completed", "diverged", "interrupted")

    def __init__(self, replicate_ids: Sequence[int]):
        self.ids = list(replicate_ids)
        R = len(self.ids)
        self.state = np.zeros(R, dtype=np.int8)  # index into STATES
        self.steps_run = np.zeros(R, dtype=np.int64)
        self.last_recorded = np.full(R, -1, dtype=np.int64)  # -1: none yet
        self.wall_time_s = np.zeros(R)
        self.messages: dict[int, str] = {}  # position -> message (most are "")
        self._pos: dict[int, int] | None = None

    def pos(self, replicate: int) -> int:
        """The position of replicate id ``replicate``."""
        if self._pos is None:
            self._pos = {r: i for i, r in enumerate(self.ids)}
        return self._pos[int(replicate)]

    def set(self, at, *, status: str | None = None, steps_run=None, wall_time_s=None,
            last_recorded_step=None) -> None:
        """Set fields of the replicates at positions ``at`` (scalars or one value each)."""
        if status is not None:
            self.state[at] = self.STATES.index(status)
        if steps_run is not None:
            self.steps_run[at] = steps_run
        if wall_time_s is not None:
            self.wall_time_s[at] = wall_time_s
        if last_recorded_step is not None:
            self.last_recorded[at] = last_recorded_step

    def recorded(self, replicates: list, steps) -> None:
        """Replicate ids recorded at ``steps`` (one, or one each; a resumed
        run's log): each keeps the latest step it was recorded at."""
        at = np.fromiter(map(self.pos, replicates), np.int64, len(replicates))
        np.maximum.at(self.last_recorded, at,
                      np.broadcast_to(np.asarray(steps, dtype=np.int64), at.shape))

    def update(self, at: int, st: dict) -> None:
        """Set position ``at`` from a dict as :func:`_by_replicate` makes it (a checkpoint, the log)."""
        self.set(at, status=st["status"], steps_run=st["steps_run"], wall_time_s=st["wall_time_s"],
                 last_recorded_step=-1 if st["last_recorded_step"] is None else st["last_recorded_step"])
        self.messages[at] = st["message"]

    def pending(self, at=slice(None)) -> np.ndarray:
        """Positions (within ``at``) still pending."""
        return np.flatnonzero(self.state[at] == 0)

    def columns(self, at=None) -> dict[str, list]:
        """``replicate`` (the ids) and each status field as a list over
        the positions ``at`` (all by default), in order — the arrays converted
        once, not per replicate."""
        at = np.arange(len(self.ids)) if at is None else np.asarray(at, dtype=np.int64)
        pos = at.tolist()
        return {"replicate": [self.ids[i] for i in pos],
                "status": [self.STATES[s] for s in self.state[at].tolist()],
                "message": [self.messages.get(i, "") for i in pos],
                "steps_run": self.steps_run[at].tolist(),
                "last_recorded_step": [None if x < 0 else x for x in self.last_recorded[at].tolist()],
                "wall_time_s": self.wall_time_s[at].tolist()}


def _by_replicate(columns: dict[str, list]) -> dict:
    """Status columns (:meth:`_Statuses.columns`, or a logged ``ends``) as
    ``{replicate: {field: value}}``, the form checkpoints and resume read."""
    fields = [k for k in columns if k != "replicate"]
    return {r: dict(zip(fields, values))
            for r, *values in zip(columns["replicate"], *(columns[k] for k in fields))}


# -- recording ----------------------------------------------------------------------


class _Recorder:
    """Columnar store of tidy rows for one run (many replicates), mirrored to the
    log: chunks of equal-length columns (series and metric names as codes into
    ``names``), read at the end as :class:`~collapsesim.results.Records`."""

    def __init__(self):
        self.chunks: list[tuple] = []
        self.names: dict[str, int] = {}
        self.log: _Log | None = None

    def code(self, name: str) -> int:
        return self.names.setdefault(name, len(self.names))

    def extend(self, step, rows: list) -> None:
        """Rows as ``[replicate, series, metric, value]`` lists at ``step`` (one,
        or a list of one per row)."""
        if rows:
            rep, series, metric, value = zip(*rows)
            self.add(step if np.ndim(step) == 0 else np.asarray(step, dtype=np.int64),
                     np.asarray(rep, dtype=np.int64),
                     np.fromiter(map(self.code, series), np.int64, len(rows)),
                     np.fromiter(map(self.code, metric), np.int64, len(rows)),
                     np.asarray(value, dtype=np.float64))

    def add(self, step, rep, series, metric, value) -> None:
        """One chunk of columns: arrays of one length, or a name (str) for the
        whole chunk; ``step`` for all rows, or an array of one step per row."""
        code = self.code
        self.chunks.append((step, rep, code(series) if isinstance(series, str) else series,
                            code(metric) if isinstance(metric, str) else metric, value))


def _add_rows(rows: list, rep, series, metrics) -> None:
    rows.extend([rep, series, k, math.nan if v is None else float(v)] for k, v in metrics.items())


def _rows(obs_list: Sequence[Observation], reps: Sequence[int]) -> list:
    if len(obs_list) != len(reps):
        raise RuntimeError(f"observe() returned {len(obs_list)} observations for {len(reps)} replicates")
    rows: list = []
    for rep, obs in zip(reps, obs_list):
        for name, s in obs.series.items():
            try:
                values = diversity(s.abundances, s.reference)
            except ValueError as exc:
                raise DivergenceError(f"series {name!r}: {exc}") from None
            _add_rows(rows, rep, name, values)
        if obs.samples is not None:
            _add_rows(rows, rep, "samples", vendi(obs.samples))
        if obs.metrics:
            _add_rows(rows, rep, "domain", obs.metrics)
    return rows


def _stacked_columns(obs: Observations, reps: np.ndarray, step) -> list[tuple]:
    """Column chunks ``(step, replicate, series name, metric name, values)`` of
    stacked observations at ``step`` (one int, or one per replicate): the shared
    metric of every series in one call over its (R, K) rows; a domain metric's
    NaN records no row."""
    if len(obs) != len(reps):
        raise RuntimeError(f"observe() returned {len(obs)} observations for {len(reps)} replicates")
    out = []

    def col(series, metric, values, keep=None):
        values = np.asarray(values, dtype=np.float64)
        if keep is None:
            out.append((step, reps, series, metric, values))
        else:
            out.append((step[keep] if np.ndim(step) else step, reps[keep], series, metric,
                        values[keep]))

    for name, s in obs.series.items():
        try:
            values = diversity_rows(s.abundances, s.reference)
        except ValueError as exc:
            raise DivergenceError(f"series {name!r}: {exc}") from None
        for metric, v in values.items():
            col(name, metric, v)
    for metric, v in obs.metrics.items():
        v = np.asarray(v, dtype=np.float64)
        missing = np.isnan(v)
        col("domain", metric, v, keep=~missing if missing.any() else None)
    return out


def _record(rec: _Recorder, sim, reps: np.ndarray, step, status: _Statuses, first: int,
            rows: np.ndarray | None = None) -> None:
    """Observe the simulation (only its ``rows``, positions in ``reps``, when
    given) and record the shared and domain metrics at ``step``: one int for
    all, or (with ``rows``) an array of one step per row, the ends of a frozen
    batch observed together (:func:`_run_group`). ``reps`` are the group's
    replicate ids, the first at position ``first`` of ``status``."""
    at = first + (np.arange(len(reps)) if rows is None else np.asarray(rows, dtype=np.int64))
    if rows is None:
        obs = sim.observe()
    else:
        obs, reps = sim.observe(rows), reps[rows]
    per_row = np.ndim(step) > 0
    if per_row:
        step = np.asarray(step, dtype=np.int64)
    if isinstance(obs, Observations):
        chunks = _stacked_columns(obs, reps, step)
        if rec.log is not None:
            rec.log.write({"step": int(step.max()) if per_row else step, "chunks": [
                [c[2], c[3], _packed(c[1]), _packed(c[4])] + ([_packed(c[0])] if per_row else [])
                for c in chunks]})
        for c in chunks:
            rec.add(*c)
    else:
        rows_ = _rows([obs] if isinstance(obs, Observation) else list(obs), reps.tolist())
        if per_row:  # each row at its replicate's step
            step_of = dict(zip(reps.tolist(), step.tolist()))
            steps = [step_of[row[0]] for row in rows_]
            event = {"step": int(step.max()), "rows": rows_, "steps": steps}
        else:
            steps, event = step, {"step": step, "rows": rows_}
        if rec.log is not None:
            rec.log.write(event)
        rec.extend(steps, rows_)
    status.set(at, last_recorded_step=step)


@dataclass
class _Prior:
    """What a resumed run keeps: rows and statuses of ended groups, and the
    checkpoints of unfinished ones (first replicate → checkpoint dict)."""

    events: list
    ended: dict
    checkpoints: dict


def _export(sim, params, out: Path | None, reps: Sequence[int], status: _Statuses,
            first: int) -> None:
    if out is None or sim is None or not getattr(params, "export", False):
        return
    folders = [out / REPLICATES / str(r) for r in reps]
    try:
        for f in folders:
            f.mkdir(parents=True, exist_ok=True)
        sim.export(folders)
    except Exception as exc:  # noqa: BLE001 - an export never costs the records
        for at in range(first, first + len(reps)):
            before = status.messages.get(at, "")
            status.messages[at] = (before + "; " if before else "") + \
                f"export failed: {type(exc).__name__}: {exc}"


def execute(cfg: ScenarioConfig, *, spawn_keys: Sequence[tuple] | None = None,
            replicate_ids: Sequence[int] | None = None, quiet: bool = True,
            source: str | None = None, run_label: str | None = None, out=None,
            overwrite: bool = False, checkpoint_every: int | None = None) -> Result:
    """Run a validated scenario; ``spawn_keys`` default to ``(j,)`` for j < replicates.
    Run ids are ``<run_label>-seed<seed>-rep<j>`` (``run_label`` defaults to the
    scenario's name; a batch adds the cell hash). With ``out``, record into that
    run folder as the module docstring describes (``overwrite`` replaces a run
    there; ``checkpoint_every`` saves simulations that implement ``state_dict``)."""
    if spawn_keys is None:  # an (R, 1) array: R key tuples are not made for 10^5 replicates
        spawn_keys = np.arange(cfg.replicates, dtype=np.int64)[:, None]
        ids = spawn_keys[:, 0].tolist()
    else:
        spawn_keys = [tuple(map(int, k)) for k in spawn_keys]
        ids = [k[-1] for k in spawn_keys]
    replicate_ids = ids if replicate_ids is None else [int(r) for r in replicate_ids]
    if checkpoint_every is not None and checkpoint_every < 1:
        raise ValueError(f"checkpoint_every must be a positive number of steps; got {checkpoint_every}")
    if out is not None:
        out = prepare_folder(out, overwrite=overwrite)
        write_atomic(out / "config.yaml", dump(cfg).encode())
        _write_json(out / RUN_JSON, {"state": "running", "source": source, "run_label": run_label,
                                     "spawn_keys": (spawn_keys.tolist() if isinstance(
                                         spawn_keys, np.ndarray) else spawn_keys),
                                     "replicate_ids": replicate_ids,
                                     "checkpoint_every": checkpoint_every})
    return _execute(cfg, spawn_keys, replicate_ids, quiet=quiet, source=source,
                    run_label=run_label, out=out, checkpoint_every=checkpoint_every, prior=None)


def _flags(sim, name: str, R: int) -> np.ndarray | None:
    """A batched simulation's per-replicate ``finished``/``diverged`` flags as a
    bool array of length R; None when the attribute is absent or a single value
    (a simulation's ``finished`` for all its replicates at once)."""
    v = getattr(sim, name, None)
    if v is None or np.ndim(v) == 0:
        return None
    v = np.asarray(v, dtype=bool)
    if v.shape != (R,):
        raise RuntimeError(f"{name} of a simulation of {R} replicates has shape {v.shape}")
    return v


def _observed(observe_waiting) -> bool:
    """Call ``observe_waiting`` after the loop stopped early; False if that
    observation diverged (the rows stay waiting)."""
    try:
        observe_waiting()
    except DivergenceError:
        return False
    return True


def _run_group(cfg, domain, backend, group, rec: _Recorder, status: _Statuses, bar, *, out,
               checkpoint_every, ckpt) -> None:
    """Build one group (one replicate, or a batched domain's R) and run it to
    its end: the loop, recording, per-replicate ends, checkpoints, divergence."""
    reps, seeds, first = group  # replicate ids; their seeds; the first one's position in status
    ids = np.asarray(reps, dtype=np.int64)
    R = len(reps)
    t0 = time.perf_counter() - (ckpt["wall_time_s"] if ckpt else 0.0)
    t = at = 0  # t: steps completed; at: the step being simulated or recorded
    ended = np.zeros(R, dtype=bool)  # rows whose replicate has ended (finished or diverged)
    sim = None

    last: list = []  # rows ended with the group: logged after the export
    waiting: list = []  # (rows, step, wall time) ended by a frozen batch, not yet observed

    def end_rows(rows, steps_run, how="completed", message=None, log=True, now=None):
        if not len(rows):
            return
        status.set(first + rows, status=how, steps_run=steps_run,
                   wall_time_s=time.perf_counter() - t0 if now is None else now)
        if message is not None:
            for i in rows.tolist():
                status.messages[first + i] = message(i)
        ended[rows] = True
        if not log:
            last.extend(rows.tolist())
        elif rec.log is not None:
            rec.log.write({"ends": status.columns(first + rows)})

    def observe_waiting():
        """Record and end the rows a frozen batch ended since the last call, in
        one observation, each at its own step (their state has not changed)."""
        if not waiting:
            return
        batch = waiting[:]
        waiting.clear()  # an interrupt while recording leaves them interrupted, not twice recorded
        rows = np.concatenate([w[0] for w in batch])
        steps = np.concatenate([np.full(len(w[0]), w[1]) for w in batch])
        now = np.concatenate([np.full(len(w[0]), w[2]) for w in batch])
        try:
            _record(rec, sim, ids, steps, status, first, rows)
        except DivergenceError:  # raised before anything is recorded
            waiting.extend(batch)
            raise
        end_rows(rows, steps, now=now)

    try:
        sim = domain.build(cfg.params, backend=backend, seeds=seeds, steps=cfg.steps)
        if ckpt:
            sim.load_state_dict(ckpt["state"])
            t = ckpt["step"]
            for r, st in ckpt.get("ended", {}).items():
                status.update(status.pos(r), st)
                ended[status.pos(r) - first] = True
            bar.update(t)
        else:
            _record(rec, sim, ids, 0, status, first)
        saves = checkpoint_every and out is not None and hasattr(sim, "state_dict")
        frozen = bool(getattr(sim, "finished_frozen", False))
        live = np.flatnonzero(~ended)  # rows not ended, ascending: a step's checks cost O(live)
        while t < cfg.steps:
            at = t + 1
            sim.step()
            t += 1
            bar.update(1)
            diverged = _flags(sim, "diverged", R)
            if diverged is not None and (new := live[diverged[live]]).size:
                end_rows(new, t - 1, "diverged",
                         lambda i: f"step {t}: {sim.divergence.get(i, 'diverged')}")  # noqa: B023
                live = live[~ended[live]]
            per_row = _flags(sim, "finished", R)
            whole = per_row is None  # one flag for the group: it ends after the loop
            done = bool(getattr(sim, "finished", False)) if whole else False
            newly = (live if done else live[:0]) if whole else live[per_row[live]]
            on_grid = t % cfg.record_every == 0 or t == cfg.steps
            if frozen and not whole and not on_grid and newly.size:
                waiting.append((newly, t, time.perf_counter() - t0))
                ended[newly] = True  # observed later, at their step, by observe_waiting
                live, newly = live[~ended[live]], newly[:0]
            rows = live if on_grid else newly
            if rows.size:
                _record(rec, sim, ids, t, status, first, None if rows.size == R else rows)
            if not whole and newly.size:
                end_rows(newly, t)
                live = live[~ended[live]]
            if not live.size or done:
                bar.update(cfg.steps - t)
                break
            if saves and t % checkpoint_every == 0 and t < cfg.steps:
                observe_waiting()
                (out / CHECKPOINTS).mkdir(exist_ok=True)
                write_atomic(out / CHECKPOINTS / f"rep{reps[0]}.pkl", pickle.dumps(
                    {"step": t, "wall_time_s": time.perf_counter() - t0, "state": sim.state_dict(),
                     "ended": _by_replicate(status.columns(first + np.flatnonzero(ended)))},
                    protocol=pickle.HIGHEST_PROTOCOL))
        observe_waiting()
        end_rows(np.flatnonzero(~ended), t, log=False)
    except DivergenceError as exc:
        message = f"step {at}: {exc}"
        if waiting and not _observed(observe_waiting):  # their observation diverged: they too
            ended[np.concatenate([w[0] for w in waiting])] = False
        end_rows(np.flatnonzero(~ended), t, "diverged", lambda i: message, log=False)
        bar.update(cfg.steps - t)
    except KeyboardInterrupt:
        _observed(observe_waiting)  # the rows that ended keep their ends
        raise
    finally:
        pending = first + status.pending(slice(first, first + R))  # interrupted: the caller marks them
        status.set(pending, steps_run=t, wall_time_s=time.perf_counter() - t0)
        _export(sim, cfg.params, out, reps, status, first)
        if rec.log is not None and last:
            rec.log.write({"ends": status.columns(first + np.asarray(last, dtype=np.int64))})


def _execute(cfg, spawn_keys, replicate_ids, *, quiet, source, run_label, out, checkpoint_every,
             prior: _Prior | None) -> Result:
    domain_cls = get_domain(cfg.domain)
    domain = domain_cls()
    backend = get_backend(cfg.backend, cfg.device)
    seeds = ReplicateSeeds(cfg.seed, spawn_keys)
    if domain_cls.batched:  # (replicate ids, seeds, position of the first)
        groups = [(replicate_ids, seeds, 0)]
    else:
        groups = [([r], seeds[i:i + 1], i) for i, r in enumerate(replicate_ids)]

    rec = _Recorder()
    status = _Statuses(replicate_ids)
    if prior is not None:
        for ev in prior.events:
            if "rows" in ev:
                steps = ev.get("steps", ev["step"])
                rec.extend(steps, ev["rows"])
                status.recorded([row[0] for row in ev["rows"]], steps)
        for r, st in prior.ended.items():
            status.update(status.pos(r), st)
    if out is not None:
        rec.log = _Log(out / LOG)
    todo = [g for g in groups if status.pending(slice(g[2], g[2] + len(g[0]))).size]
    bar = Progress(total=cfg.steps * len(todo), quiet=quiet,
                   label=f"{cfg.name or cfg.domain} [{cfg.backend}]")
    interrupted = False
    stop = _STOP
    t_start = time.perf_counter()
    try:
        for group in todo:
            _run_group(cfg, domain, backend, group, rec, status, bar, out=out,
                       checkpoint_every=checkpoint_every,
                       ckpt=prior.checkpoints.get(group[0][0]) if prior is not None else None)
    except KeyboardInterrupt:
        interrupted = True
        name = _signal_name(stop.signum)
        pending = status.pending()
        status.set(pending, status="interrupted")
        status.messages.update(dict.fromkeys(pending.tolist(), f"stopped by {name}"))
    finally:
        stop.shield = True
        bar.close()
        if rec.log is not None:
            rec.log.close()
    wall = time.perf_counter() - t_start

    label = run_label or cfg.name or cfg.domain
    records = Records(rec.chunks, list(rec.names),
                      lambda: {r: f"{label}-seed{cfg.seed}-rep{r}" for r in replicate_ids},
                      scenario=cfg.name, domain=cfg.domain, seed=cfg.seed)
    result = Result(records=records, config=cfg, headline=domain_cls.headline,
                    summarize=lambda: build_summary(
                        records, cfg, domain_cls, status.columns(), records.run_ids, wall_time_s=wall,
                        spawn_keys=spawn_keys, source=source))
    result.interrupted = interrupted
    result.stop_signal = (stop.signum or signal.SIGINT) if interrupted else None
    if out is not None:
        result.save(out)
        if not interrupted:
            meta = json.loads((out / RUN_JSON).read_text())
            _write_json(out / RUN_JSON, {**meta, "state": "complete"})
            (out / LOG).unlink(missing_ok=True)
            shutil.rmtree(out / CHECKPOINTS, ignore_errors=True)
    return result


def run(scenario, *, seed: int | None = None, backend: str | None = None,
        device: str | None = None, steps: int | None = None, replicates: int | None = None,
        set: Sequence[str] | None = None, out=None, overwrite: bool = False,
        checkpoint_every: int | None = None, quiet: bool = True) -> Result:
    """Run a scenario (a path, a bundled scenario's name, or a dict) and return
    its :class:`~collapsesim.results.Result`; with ``out``, record into that run
    directory (metrics.parquet, summary.json, config.yaml, diversity.png; an
    existing run there is refused unless ``overwrite``; ``checkpoint_every``
    steps, checkpoints for :func:`resume`). SIGTERM and SIGHUP stop it like Ctrl-C.

    Keyword arguments override the file, like the CLI's options; ``set`` takes
    ``key.path=value`` strings."""
    cfg = load(scenario, option_overrides(set, cli=False, seed=seed, backend=backend,
                                          device=device, steps=steps, replicates=replicates))
    with stop_signals():
        return execute(cfg, quiet=quiet, source=None if isinstance(scenario, dict) else str(scenario),
                       out=out, overwrite=overwrite, checkpoint_every=checkpoint_every)


def resume(directory, *, quiet: bool = True, checkpoint_every: int | None = None) -> Result:
    """Continue the interrupted or killed run recorded in ``directory``: groups
    that ended are kept; an unfinished group continues from its last checkpoint,
    or from step 0 without one. ``checkpoint_every`` defaults to the run's own."""
    out = Path(directory)
    meta_path = out / RUN_JSON
    try:
        meta = json.loads(meta_path.read_text())
        cfg = load(out / "config.yaml")
    except FileNotFoundError as exc:
        raise RunFolderError(f"{Path(exc.filename)}: missing; is {out} a run folder "
                             "made by this version of collapsesim?") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunFolderError(f"{meta_path}: not readable ({exc})") from None
    if meta.get("state") == "complete":
        raise RunFolderError(f"{out}: the run is already complete; nothing to resume")
    replicate_ids = [int(r) for r in meta["replicate_ids"]]
    spawn_keys = [tuple(k) for k in meta["spawn_keys"]]
    batched = get_domain(cfg.domain).batched
    firsts = [replicate_ids[0]] if batched else replicate_ids
    checkpoints = {}
    for r in firsts:
        p = out / CHECKPOINTS / f"rep{r}.pkl"
        if p.is_file():
            with open(p, "rb") as f:
                checkpoints[r] = pickle.load(f)
    ended: dict = {}
    events = read_log(out / LOG)
    for ev in events:
        if "end" in ev:
            ended.update({int(r): st for r, st in ev["end"].items()})
    if batched and set(ended) != set(replicate_ids):
        ended = {}  # replicates that ended inside an unfinished batch: from its checkpoint
    group_of = {r: (replicate_ids[0] if batched else r) for r in replicate_ids}
    kept = []
    for ev in events:
        if "end" in ev:
            kept.append(ev)
            continue
        keep = [row[0] in ended or (group_of[row[0]] in checkpoints and
                                    ev["step"] <= checkpoints[group_of[row[0]]]["step"])
                for row in ev["rows"]]
        if any(keep):
            kept.append({k: [x for x, y in zip(v, keep) if y] if k in ("rows", "steps") else v
                         for k, v in ev.items()})
    write_atomic(out / LOG, "".join(json.dumps(ev) + "\n" for ev in kept).encode())
    with stop_signals():
        return _execute(cfg, spawn_keys, replicate_ids, quiet=quiet, source=meta.get("source"),
                        run_label=meta.get("run_label"), out=out,
                        checkpoint_every=checkpoint_every or meta.get("checkpoint_every"),
                        prior=_Prior(events=kept, ended=ended, checkpoints=checkpoints))
