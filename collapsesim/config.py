"""Scenario files: YAML → validated pydantic models, with errors users can act on.

A scenario is a YAML mapping (DESIGN.md)::

    domain: drift            # which plugin
    name: neutral-drift      # free text (default: the file's stem)
    seed: 1                  # root entropy of numpy.random.SeedSequence
    replicates: 1
    steps: 2000
    record_every: 10
    backend: numba           # numpy | numba | torch
    device: cpu              # cpu | cuda
    collapse_threshold: 0.5  # collapse_step: relative diversity < threshold × running max
    params: {...}            # validated by the domain's own model

Unknown keys are errors. Every error names the file, the line, the key path,
what was expected and what was given, with a "did you mean" for a misspelt key;
an error in a ``--set`` value names the override instead of a line.

Input rules (docs/reliability.md, "Input"): files are UTF-8 YAML holding one
mapping; aliases and anchors are refused at the first one, before anything is
expanded; a key repeated in a mapping is refused with both lines; numbers
follow YAML 1.2 (``1e-8``, ``3e9`` are floats, in files, ``--set`` and
``--grid`` alike: one parser, :func:`parse_value`); types are strict
(:class:`~collapsesim.domains.base.StrictModel`: ``steps: yes``, ``seed: true``
and ``steps: "10"`` are errors, ``N: 5e2`` is 500); every float is finite; and
a scenario whose memory estimate (``Domain.memory_estimate``, plus the
replicate bound :data:`MAX_REPLICATES`) exceeds the machine's memory is refused
with the key and the estimate.
"""

from __future__ import annotations

import difflib
import os
import re
import typing
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError

from .domains.base import DomainParams, StrictModel

BACKENDS = ("numpy", "numba", "torch")
DEVICES = ("cpu", "cuda")
MAX_REPLICATES = 10**7  # beyond any real batch; one row of bookkeeping each


class ScenarioConfig(StrictModel):
    """The top level of a scenario file; ``params`` holds the domain's model.
    Strict types, finite floats (:class:`StrictModel`)."""

    domain: str
    name: str = ""
    seed: int = Field(0, ge=0)
    replicates: int = Field(1, ge=1, le=MAX_REPLICATES)
    steps: int = Field(ge=1)
    record_every: int = Field(1, ge=1)
    backend: Literal["numpy", "numba", "torch"] = "numba"
    device: Literal["cpu", "cuda"] = "cpu"
    collapse_threshold: float = Field(0.5, gt=0, lt=1)
    params: Any = None

    def resolved(self) -> dict:
        """The fully resolved config as plain data (re-runs to the same result)."""
        d = self.model_dump(mode="json")
        p = self.params
        d["params"] = p.model_dump(mode="json") if isinstance(p, BaseModel) else (p or {})
        return d


@dataclass
class ConfigIssue:
    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ConfigError(ValueError):
    """One or more problems with a scenario; ``str()`` gives one line per problem."""

    def __init__(self, issues: list[ConfigIssue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


# -- YAML with line numbers -----------------------------------------------------

_FLOAT_12 = re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""", re.X)


class _Refused(yaml.MarkedYAMLError):
    """A YAML feature scenario files do not allow (aliases, duplicate keys)."""


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases at the first one (nothing is
    expanded, so a "billion laughs" file costs nothing), refuses duplicate keys
    naming both lines, and reads YAML 1.2 floats (``1e-8``, ``3e9``)."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused(problem="aliases and anchors (&, *) are not allowed in scenario files",
                           problem_mark=event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node.start_mark.line + 1)
            except TypeError:  # an unhashable key: the constructor says so
                break
            if first != key_node.start_mark.line + 1:
                raise _Refused(problem=f"duplicate key {key!r} (first on line {first})",
                               problem_mark=key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_12, list("-+0123456789."))


def _line_map(root) -> dict[tuple, int]:
    """Key path (tuple) → 1-based line of that key in a composed YAML node tree."""
    lines: dict[tuple, int] = {}
    stack = [(root, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = k.value
                lines[path + (key,)] = k.start_mark.line + 1
                stack.append((v, path + (key,)))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                lines[path + (i,)] = v.start_mark.line + 1
                stack.append((v, path + (i,)))
    return lines


def _load_yaml(text: str) -> tuple[Any, Any]:
    """(data, composed root node) of one YAML document, by :class:`_Loader`."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        return (loader.construct_document(root) if root is not None else None), root
    finally:
        loader.dispose()


def _read_yaml(text: str, file: str) -> tuple[Any, dict[tuple, int]]:
    try:
        data, root = _load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError([ConfigIssue(file, mark.line + 1 if mark else None, "",
                                       f"not valid YAML: {problem}")]) from None
    except RecursionError:
        raise ConfigError([ConfigIssue(file, None, "", "not valid YAML: nested too deeply")]) \
            from None
    return data, (_line_map(root) if root is not None else {})


def read_yaml(path: str | Path, file: str | None = None) -> tuple[Any, dict[tuple, int]]:
    """(data, key path → line) of a YAML file under the scenario rules (UTF-8,
    one document, no aliases, no duplicate keys, YAML 1.2 numbers); problems
    raise :class:`ConfigError` naming ``file`` (default: the path) and the line.
    Suite files are read by it too."""
    file = str(path) if file is None else file
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError([ConfigIssue(file, None, "",
                                       f"cannot read file: {exc.strerror or exc}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError([ConfigIssue(file, line, "", "expected UTF-8 text; got byte "
                                       f"0x{raw[exc.start]:02x}")]) from None
    return _read_yaml(text, file)


def parse_value(text: str) -> Any:
    """A ``--set``/``--grid`` value read as a YAML 1.2 scalar or flow value by
    the scenario files' own loader (``3e9`` is a float, ``yes`` a bool);
    text that is not YAML, or that uses aliases, stays the plain string."""
    try:
        return _load_yaml(text)[0]
    except (yaml.YAMLError, RecursionError):
        return text


def option_overrides(sets=(), *, cli: bool, **options) -> list:
    """The overrides of a run: the ``--set`` items, then each option that was
    given (``seed``, ``steps``, ``replicates``, ...) labelled as the user wrote
    it — ``--replicates 0`` on the command line, ``replicates=0`` from Python —
    so an error names the option, not a ``--set`` the user never typed."""
    out: list = list(sets or [])
    for key, val in options.items():
        if val is not None:
            out.append((f"--{key} {val}" if cli else f"{key}={val!r}", f"{key}={val}"))
    return out


def apply_overrides(data: dict, overrides: list | None, file: str) -> dict[tuple, str]:
    """Apply ``key.path=value`` overrides in place; returns each overridden path
    → the label of the override that gave it (errors in it name the override,
    not a line). An override is a ``--set`` item, or a pair ``(label, item)``
    when it came from another option (``("--replicates 0", "replicates=0")``)."""
    done: dict[tuple, str] = {}
    for entry in overrides or []:
        label, item = entry if isinstance(entry, tuple) else (f"--set {entry}", entry)
        if "=" not in item:
            raise ConfigError([ConfigIssue(label, None, "", "expected key.path=value")])
        key, value = item.split("=", 1)
        parts = [p for p in key.strip().split(".") if p]
        if not parts:
            raise ConfigError([ConfigIssue(label, None, "", "expected key.path=value")])
        node = data
        for p in parts[:-1]:
            nxt = node.get(p)
            if nxt is None:
                nxt = node[p] = {}
            if not isinstance(nxt, dict):
                raise ConfigError([ConfigIssue(label, None, "",
                                               f"{p!r} is not a mapping in {file}")])
            node = nxt
        node[parts[-1]] = parse_value(value)
        done[tuple(parts)] = label
    return done


# -- error formatting ---------------------------------------------------------------


def _submodels(annotation) -> list[type[BaseModel]]:
    """The pydantic models inside an annotation (a model, Optional, list, Union...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[type[BaseModel]] = []
    for arg in getattr(annotation, "__args__", ()) or ():
        out += [m for m in _submodels(arg) if m not in out]
    return out


def _walk(model: type[BaseModel] | None, loc: tuple) -> tuple[tuple, type[BaseModel] | None]:
    """Follow an error location through nested models: drop the tags pydantic
    inserts for discriminated unions (``selection.tournament.k`` → ``selection.k``)
    and return the clean location and the model holding its last key."""
    clean: list = []
    parent = model
    i = 0
    while i < len(loc):
        part = loc[i]
        clean.append(part)
        parent = model
        field = model.model_fields.get(part) if model is not None and isinstance(part, str) else None
        if field is None:
            model = None if not isinstance(part, int) else model
            i += 1
            continue
        subs = _submodels(field.annotation)
        if field.discriminator and len(subs) > 1 and i + 1 < len(loc):
            tag = loc[i + 1]  # pydantic's tag of the union member
            chosen = [m for m in subs if m.model_fields.get(field.discriminator) is not None
                      and m.model_fields[field.discriminator].default == tag]
            model = chosen[0] if chosen else None
            i += 2
            continue
        members = [a for a in typing.get_args(field.annotation) if a is not type(None)]
        if (not field.discriminator and len(members) > 1 and i + 1 < len(loc)
                and isinstance(loc[i + 1], str)):
            tag = loc[i + 1]  # pydantic's name of the union member tried (``float``, ``list[float]``)
            chosen = [m for m in subs if m.__name__ == tag]
            model = chosen[0] if chosen else None
            i += 2
            continue
        model = subs[0] if len(subs) == 1 else None
        i += 1
    return tuple(clean), parent


def _describe(value: Any) -> str:
    s = repr(value)
    return s if len(s) <= 60 else s[:57] + "..."


def _describe_item(item: str) -> str:
    return item if len(item) <= 60 else item[:57] + "..."


def _issues_from_validation(exc: ValidationError, *, file: str, lines: dict, prefix: tuple,
                            model: type[BaseModel], overridden: dict[tuple, str]
                            ) -> list[ConfigIssue]:
    issues = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not str(p).startswith("function-"))
        data_loc, holder = _walk(model, loc)
        full = prefix + data_loc
        path = ".".join(str(p) for p in full)
        kind = err["type"]
        line = None
        for k in range(len(full), 0, -1):
            if full[:k] in lines:
                line = lines[full[:k]]
                break
        src = file
        for k in range(len(full), 0, -1):
            if full[:k] in overridden:  # the value came from --set: name it, not a line
                src, line = _describe_item(overridden[full[:k]]), None
                path = ".".join(str(p) for p in full[k:])
                break
        if kind == "extra_forbidden":
            known = list(holder.model_fields) if holder is not None else []
            close = difflib.get_close_matches(str(data_loc[-1]), known, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            msg = f"unknown key {str(data_loc[-1])!r}{hint} (expected one of: {', '.join(known)})"
        elif kind == "missing":
            msg = "missing required key"
            line = line if data_loc[:-1] else None
        else:
            expected = err["msg"]
            given = err.get("input")
            if expected[:1].isupper() and expected[1:2].islower():  # "Input should..." reads on
                expected = expected[0].lower() + expected[1:]
            msg = f"expected {expected}; got {_describe(given)}"
        issue = ConfigIssue(src, line, path, msg)
        if not any((i.file, i.line, i.path) == (src, line, path) for i in issues):
            issues.append(issue)  # a value no member of a union takes: the first member's words
    return issues


# -- loading -------------------------------------------------------------------------


def bundled_scenarios() -> dict[str, Path]:
    """Bundled scenario names → files (``collapsesim/scenarios/*.yaml`` and ``full/``)."""
    root = resources.files("collapsesim") / "scenarios"
    out: dict[str, Path] = {}
    for sub, prefix in ((root, ""), (root / "full", "full/")):
        if sub.is_dir():
            for f in sorted(sub.iterdir(), key=lambda p: p.name):
                if f.name.endswith(".yaml"):
                    out[prefix + f.name[:-5]] = Path(str(f))
    return out


def resolve_scenario(source: str | Path) -> Path:
    """A path, or the name of a bundled scenario (``drift_neutral``)."""
    p = Path(source)
    if p.is_file():
        return p
    bundled = bundled_scenarios()
    name = str(source)[:-5] if str(source).endswith(".yaml") else str(source)
    if name in bundled:
        return bundled[name]
    close = difflib.get_close_matches(name, list(bundled), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ConfigError([ConfigIssue(str(source), None, "",
                                   f"no such file or bundled scenario{hint} "
                                   "(`collapsesim list` shows the bundled ones)")])


def load(source: str | Path | dict, overrides: list[str] | None = None) -> ScenarioConfig:
    """Load and validate a scenario (path, bundled name, or a dict); raise
    :class:`ConfigError` listing every problem."""
    from .registry import UnknownDomainError, get_domain

    if isinstance(source, dict):
        import copy

        data, lines, file = copy.deepcopy(source), {}, "<dict>"
    else:
        path = resolve_scenario(source)
        file = str(source) if Path(source).is_file() else str(path)
        data, lines = read_yaml(path, file)
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError([ConfigIssue(file, 1, "", "expected a mapping of keys "
                                           "(domain, steps, params, ...); got "
                                           f"{type(data).__name__}")])
        data.setdefault("name", path.stem)
    overridden = apply_overrides(data, overrides, file)

    issues: list[ConfigIssue] = []
    try:
        cfg = ScenarioConfig.model_validate(data)
    except ValidationError as exc:
        issues += _issues_from_validation(exc, file=file, lines=lines, prefix=(),
                                          model=ScenarioConfig, overridden=overridden)
        cfg = None

    domain_cls = None
    if isinstance(data.get("domain"), str):
        try:
            domain_cls = get_domain(data["domain"])
        except UnknownDomainError as exc:
            issues.append(ConfigIssue(file, lines.get(("domain",)), "domain", str(exc)))
    if domain_cls is not None:
        raw = data.get("params") or {}
        if not isinstance(raw, dict):
            issues.append(ConfigIssue(file, lines.get(("params",)), "params",
                                      f"expected a mapping; got {_describe(raw)}"))
        else:
            try:
                params = domain_cls.Params.model_validate(raw)
            except ValidationError as exc:
                issues += _issues_from_validation(exc, file=file, lines=lines, prefix=("params",),
                                                  model=domain_cls.Params, overridden=overridden)
            else:
                if cfg is not None:
                    cfg.params = params
        backend = data.get("backend", "numba")
        if backend in BACKENDS and backend not in domain_cls.backends:
            issues.append(ConfigIssue(file, lines.get(("backend",)), "backend",
                                      f"domain {domain_cls.name!r} supports backends "
                                      f"{', '.join(domain_cls.backends)}; got {backend!r}"))
        if data.get("device") == "cuda" and backend != "torch":
            issues.append(ConfigIssue(file, lines.get(("device",)), "device",
                                      "device 'cuda' needs backend 'torch'"))
    if not issues and domain_cls is not None:
        issues += _memory_issues(domain_cls, cfg, file=file, lines=lines, overridden=overridden)
    if issues:
        raise ConfigError(issues)
    return cfg


def physical_memory() -> int | None:
    """Bytes of physical memory of this machine (None where unknown)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return None


def _memory_issues(domain_cls, cfg: ScenarioConfig, *, file: str, lines: dict,
                   overridden: dict[tuple, str]) -> list[ConfigIssue]:
    """Refuse keys whose memory estimate exceeds the machine's memory (one issue,
    the largest estimate)."""
    total = physical_memory()
    if total is None:
        return []
    estimates = [(str(k), float(b)) for k, b in domain_cls.memory_estimate(cfg.params,
                                                                          cfg.replicates)]
    over = [(k, b) for k, b in estimates if b > total]
    if not over:
        return []
    key, need = max(over, key=lambda kb: kb[1])
    full = tuple(key.split("."))
    src, line = file, lines.get(full)
    for k in range(len(full), 0, -1):
        if full[:k] in overridden:
            src, line = _describe_item(overridden[full[:k]]), None
            break
    if src == file and ("replicates",) in overridden and "replicates" not in full:
        src = f"{file} (--replicates {cfg.replicates})"
    return [ConfigIssue(src, line, key, f"needs about {_gib(need)} of memory with "
                        f"{cfg.replicates} replicate(s); this machine has {_gib(total)}")]


def _gib(n: float) -> str:
    return f"{n / 2**30:.3g} GiB"


def dump(cfg: ScenarioConfig) -> str:
    """YAML text of the resolved config."""
    return yaml.safe_dump(cfg.resolved(), sort_keys=False)



__all__ = ["ScenarioConfig", "ConfigError", "ConfigIssue", "DomainParams", "load", "dump",
           "resolve_scenario", "bundled_scenarios", "apply_overrides", "parse_value", "read_yaml",
           "physical_memory", "BACKENDS", "DEVICES", "MAX_REPLICATES"]
