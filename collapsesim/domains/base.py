"""The domain contract: what a plugin provides and what it returns to the runner.

A domain owns only its science. It declares a pydantic model of its parameters
(the YAML ``params:`` block), builds a :class:`Simulation` for one replicate (or
for all replicates at once when ``batched`` is true), and its simulation answers
``step()`` and ``observe()``. The runner owns the loop, recording, progress bar
and error handling; :mod:`collapsesim.metrics` turns the abundances of every
:class:`Series` into the shared metric.
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, Sequence, runtime_checkable

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from ..metrics.diversity import reference_per_row
from ..theory import Epoch


class DivergenceError(RuntimeError):
    """Raised by a simulation whose state or loss became NaN/infinite, or whose
    importance weights are all zero. The runner stops cleanly and keeps what it
    recorded so far."""


def _takes_int(annotation) -> bool:
    """Whether a field annotation admits ``int`` but not ``float`` (``int``,
    ``int | None``, ``Annotated[int, ...]``)."""
    if annotation is int:
        return True
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _takes_int(args[0])
    if origin in (typing.Union, types.UnionType):
        return float not in args and any(_takes_int(a) for a in args)
    return False


class StrictModel(BaseModel):
    """Strict input (docs/reliability.md, "Input"): unknown keys are errors; no
    coercion -- a bool is not a number, a string is not a number, a number is
    not a string (pydantic strict mode; an int is accepted for a float field and
    a string for a Literal); every float is finite (``allow_inf_nan=False``; a
    field documented to take inf says ``Field(allow_inf_nan=True)``). One
    exception, so that ``N: 5e2`` and ``N: 1e6`` read as written: a float with
    an integral value is accepted for an int field (``5.5`` is not). From
    Python, numpy scalars (``np.int64(5)``, also inside lists) count as the
    Python number they hold."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _integral_floats(cls, data):
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for name, f in cls.model_fields.items():
            if name not in out:
                continue
            v = out[name]
            if isinstance(v, np.generic):
                v = v.item()
            elif isinstance(v, list) and any(isinstance(e, np.generic) for e in v):
                v = [e.item() if isinstance(e, np.generic) else e for e in v]
            if (type(v) is float and math.isfinite(v) and v.is_integer()
                    and _takes_int(f.annotation)):
                v = int(v)
            out[name] = v
        return out


class DomainParams(StrictModel):
    """Base class of every domain's parameter model (the YAML ``params:`` block
    and every model nested in it): strict types and finite floats
    (:class:`StrictModel`); assignments are validated too."""

    model_config = ConfigDict(validate_assignment=True)


def expected(what: str) -> PydanticCustomError:
    """A validation error whose message reads "expected <what>" (the config
    error format ``file:line: key.path: expected ...; got ...``), for a
    domain's own field and model validators."""
    return PydanticCustomError("value_error", what.replace("{", "(").replace("}", ")"))


def population_size(v):
    """Validate a population size given as an integer >= 2 or as a list of
    epochs ``{generation, N}`` (piecewise-constant size, :class:`collapsesim.theory.Epoch`)
    starting at generation 0 in increasing generations — the ``N`` of every
    domain with a demography (use it in a ``mode="before"`` field validator)."""
    if isinstance(v, list):
        epochs = []
        for i, e in enumerate(v):
            try:
                epochs.append(Epoch.model_validate(e))
            except ValidationError as exc:
                err = exc.errors()[0]
                where = ".".join(str(p) for p in err["loc"])
                where = f"epoch {i}" + (f".{where}" if where else "")
                raise expected(f"epochs as mappings with generation (integer >= 0) and N "
                               f"(integer >= 2); {where}: {err['msg']}") from None
        gens = [e.generation for e in epochs]
        if not gens or gens[0] != 0 or any(b <= a for a, b in zip(gens, gens[1:])):
            raise expected("epochs starting at generation 0, in increasing generations")
        return epochs
    if isinstance(v, bool) or not isinstance(v, int) or v < 2:
        raise expected("an integer >= 2 or a list of epochs (mappings with generation and N)")
    return v


@dataclass
class Series:
    """One set of types a domain counts at one observation.

    ``abundances``: counts or weights over the types present (any non-negative
    array; zeros allowed). ``reference``: either abundances over the *same*
    types (then ``coverage`` is defined) or a positive scalar, the effective
    number of types the population should have (D1 of the reference).
    """

    abundances: Any
    reference: Any


@dataclass
class Observation:
    """What ``Simulation.observe()`` returns for one replicate."""

    series: dict[str, Series]
    metrics: dict[str, float] = field(default_factory=dict)
    samples: Any | None = None  # unlabelled samples (n × d) for the Vendi score


@dataclass
class Observations:
    """What ``observe()`` of a batched simulation may return for its R rows
    at once, as stacked arrays (cheaper than R :class:`Observation` objects
    when R is large and each replicate is small).

    ``series``: name → :class:`Series` whose ``abundances`` is an (R, K) array
    (zeros pad rows with fewer types) and whose ``reference`` is one reference
    for every row (a (K,) array or a scalar) or one per row ((R, K) or (R,)).
    ``metrics``: name → (R,) float array; NaN means "not defined for this
    row" and records no row (unlike a per-replicate ``None``, recorded as NaN).
    """

    series: dict[str, Series]
    metrics: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        for s in self.series.values():
            return int(np.shape(s.abundances)[0])
        for v in self.metrics.values():
            return int(np.shape(v)[0])
        return 0

    def __getitem__(self, r: int) -> Observation:
        """Row ``r`` as one replicate's :class:`Observation` (its NaN metrics left out)."""
        if not -len(self) <= r < len(self):
            raise IndexError(f"row {r} of {len(self)} observations")
        series = {}
        for name, s in self.series.items():
            per_row = reference_per_row(s.reference, np.shape(s.abundances))
            series[name] = Series(np.asarray(s.abundances)[r],
                                  np.asarray(s.reference)[r] if per_row else s.reference)
        metrics = {k: float(v[r]) for k, v in self.metrics.items() if not np.isnan(v[r])}
        return Observation(series=series, metrics=metrics)

    def __iter__(self):
        return (self[r] for r in range(len(self)))

    @classmethod
    def concat(cls, parts: Sequence[Observations]) -> Observations:
        """The rows of ``parts`` in order, as one :class:`Observations`: each
        series' abundances stacked (every part with the same types) and its
        references kept if every part shares the same one, else stacked per row;
        a metric a part lacks is NaN on its rows."""
        parts = list(parts)
        if len(parts) == 1:
            return parts[0]
        series = {}
        for name in parts[0].series:
            of = [p.series[name] for p in parts]
            shapes = [np.shape(s.abundances) for s in of]
            shared = [not reference_per_row(s.reference, shape) for s, shape in zip(of, shapes)]
            refs = [np.asarray(s.reference) for s in of]
            if all(shared) and all(np.array_equal(refs[0], ref) for ref in refs[1:]):
                reference = of[0].reference
            elif not any(shared):
                reference = np.concatenate(refs)
            else:
                raise ValueError(f"series {name!r}: references shared by some parts, per row in others")
            series[name] = Series(np.concatenate([np.asarray(s.abundances) for s in of]), reference)
        names = list(dict.fromkeys(k for p in parts for k in p.metrics))
        metrics = {k: np.concatenate([np.asarray(p.metrics[k], dtype=np.float64) if k in p.metrics
                                      else np.full(len(p), np.nan) for p in parts]) for k in names}
        return cls(series=series, metrics=metrics)


@runtime_checkable
class Simulation(Protocol):
    """One replicate (or, for a batched domain, all replicates) of a domain.

    ``observe()`` returns an :class:`Observation` (one replicate) or a list of
    them (batched: one per replicate, in seed order). A simulation may expose
    ``finished`` (bool): the runner then stops early once it is true (e.g. a
    sweep that fixed), recording a final observation.

    Optional hooks, called only by the runner (docs/reliability.md):

    * ``state_dict() -> dict`` and ``load_state_dict(state)``: everything
      ``step()`` changes, its generators' states included, as picklable values
      (copies, not views). With ``--checkpoint-every N`` the runner pickles it
      atomically into the run folder every N steps; ``run --resume`` builds the
      simulation from the same seeds, calls ``load_state_dict`` and continues,
      and the rows must equal an uninterrupted run's. Without them, resume
      restarts an unfinished replicate group from step 0.
    Batched simulations (``batched = True``, R replicates) may also end
    replicates one at a time, as lone runs would:

    * ``finished`` as a boolean array of length R (once true, stays true):
      the runner records replicate r at the step its flag turns true, marks
      it ``completed`` with that many steps, and never observes or records it
      again; the group ends when every flag is true or the steps run out;
    * ``diverged``, a boolean array of length R, and ``divergence``, a dict
      row → message: a replicate whose flag turns true during step t is marked
      ``diverged`` (``"step t: <message>"``) keeping its rows up to t − 1,
      as a lone run raising :class:`DivergenceError` at step t would; the other
      rows continue. (Raising :class:`DivergenceError` still ends the whole
      group.)

    A simulation with either array must accept ``observe(rows)``, ``rows`` an
    increasing int array of row positions, returning those rows'
    observations in that order. The simulation keeps stepping every row;
    what a step does to an ended row is never observed, but must not raise.
    ``observe`` of a batched simulation may return :class:`Observations`
    (stacked arrays) instead of a list.

    * ``export(folders: list[pathlib.Path])``: write domain artefacts (tree
      sequences, VCF, samples) into ``folders`` -- one per replicate of this
      simulation, ``<run>/replicates/<j>/``, created by the runner. Called when
      the group ends (completed, diverged or interrupted) if the params have a
      field ``export`` that is true and the run has an output folder. A domain
      never takes a path as a parameter.
    """

    def step(self) -> None: ...

    def observe(self) -> Observation | Sequence[Observation]: ...


class Domain:
    """Base class of domain plugins; subclasses are registered with
    :func:`collapsesim.registry.register`.

    Class attributes:
      ``name``      registry name (set by ``register``)
      ``Params``    pydantic model of the ``params:`` block (a :class:`DomainParams`)
      ``headline``  the series ``compare`` plots
      ``backends``  backends the domain supports
      ``batched``   if true, ``build`` receives every replicate's seed at once
      ``clock``     the natural unit of a step (generations, iterations, ...)
      ``check_scenario``  a small, fast scenario (``steps``, ``record_every``,
                    ``params``, ...) that :func:`collapsesim.testing.check_domain` runs
      ``agreement`` how each non-reference backend agrees with the numpy
                    reference: ``"exact"`` (bitwise on CPU) or ``"statistical"``
                    (the default), checked by the conformance suite
      ``default_scenario``  a third-party domain's default scenario (a path);
                    built-in domains ship ``scenarios/<name>.yaml``
    """

    name: ClassVar[str] = ""
    Params: ClassVar[type[DomainParams]] = DomainParams
    headline: ClassVar[str] = ""
    backends: ClassVar[tuple[str, ...]] = ("numpy", "numba", "torch")
    batched: ClassVar[bool] = False
    clock: ClassVar[str] = "steps"
    description: ClassVar[str] = ""
    check_scenario: ClassVar[dict] = {}
    agreement: ClassVar[dict[str, str]] = {}
    default_scenario: ClassVar[str | None] = None

    @classmethod
    def memory_estimate(cls, params: DomainParams, replicates: int) -> list[tuple[str, float]]:
        """Rough upper bounds of the memory a run needs, as ``(key path, bytes)``
        pairs -- the key that drives each allocation (``"params.N"``) and what
        it costs for ``replicates`` replicates. :func:`collapsesim.config.load`
        refuses a scenario whose estimate exceeds the machine's memory, naming
        the key. Default: no estimate."""
        return []

    def single_seed(self, seeds: Sequence[np.random.SeedSequence]) -> np.random.SeedSequence:
        """The one seed an unbatched domain's ``build`` receives (``batched = False``:
        the runner builds one replicate per call)."""
        if len(seeds) != 1:
            raise ValueError(f"{self.name or type(self).__name__} builds one replicate per call "
                             f"(batched = False), got {len(seeds)} seeds")
        return seeds[0]

    def build(self, params: DomainParams, *, backend, seeds: Sequence[np.random.SeedSequence],
              steps: int) -> Simulation:
        """Return a simulation of ``len(seeds)`` replicates (one unless ``batched``)."""
        raise NotImplementedError


class ReplicateStack:
    """R lone simulations behind the batched contract of :class:`Simulation`:
    for the variants of a batched domain that are not (yet) one array program.
    Each ``step()`` steps every live replicate in turn; ``finished`` and
    ``diverged`` are per replicate (a lone :class:`DivergenceError` ends only
    its replicate); ``observe(rows)`` gathers the lone observations. Each
    replicate's numbers are therefore its lone run's."""

    #: A replicate whose lone run finished is never stepped again, so its
    #: observation stays what it was at its end: the runner may observe the
    #: replicates that ended together, each recorded at its own step.
    finished_frozen = True

    def __init__(self, sims: Sequence):
        self.sims = list(sims)
        R = len(self.sims)
        self._done = np.zeros(R, dtype=bool)
        self.diverged = np.zeros(R, dtype=bool)
        self.divergence: dict[int, str] = {}

    @property
    def finished(self) -> np.ndarray:
        done = np.array([bool(getattr(s, "finished", False)) for s in self.sims], dtype=bool)
        self._done |= done
        return self._done.copy()

    def step(self) -> None:
        ended = self._done | self.diverged
        for r, sim in enumerate(self.sims):
            if ended[r]:
                continue
            try:
                sim.step()
            except DivergenceError as exc:
                self.diverged[r] = True
                self.divergence[r] = str(exc)

    def observe(self, rows=None) -> list:
        rows = range(len(self.sims)) if rows is None else rows
        return [self.sims[int(r)].observe() for r in rows]

    @property
    def state_dict(self):
        """Every replicate's ``state_dict()`` and the per-replicate flags — only
        when every lone simulation has one (else no attribute: the runner then
        keeps no checkpoint, and resume restarts the group)."""
        if not all(hasattr(s, "state_dict") for s in self.sims):
            raise AttributeError("a stacked lone simulation keeps no checkpoint")
        return self._state_dict

    def _state_dict(self) -> dict:
        return {"sims": [s.state_dict() for s in self.sims], "done": self._done.copy(),
                "diverged": self.diverged.copy(), "divergence": dict(self.divergence)}

    def load_state_dict(self, state: dict) -> None:
        for s, st in zip(self.sims, state["sims"]):
            s.load_state_dict(st)
        self._done = np.asarray(state["done"]).copy()
        self.diverged = np.asarray(state["diverged"]).copy()
        self.divergence = dict(state["divergence"])

    def export(self, folders) -> None:
        for s, f in zip(self.sims, folders):
            s.export([f])


def check_finite(name: str, value) -> None:
    """Raise :class:`DivergenceError` if ``value`` (array, tensor or scalar) holds NaN/inf."""
    try:
        import torch

        if isinstance(value, torch.Tensor):
            if not bool(torch.isfinite(value).all()):
                raise DivergenceError(f"{name} became NaN or infinite")
            return
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    if not np.all(np.isfinite(np.asarray(value, dtype=float))):
        raise DivergenceError(f"{name} became NaN or infinite")
