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
what was expected and what was given, with a "did you mean" for a misspelt key.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .domains.base import DomainParams

BACKENDS = ("numpy", "numba", "torch")
DEVICES = ("cpu", "cuda")


class ScenarioConfig(BaseModel):
    """The top level of a scenario file; ``params`` holds the domain's model."""

    model_config = ConfigDict(extra="forbid")

    domain: str
    name: str = ""
    seed: int = Field(0, ge=0)
    replicates: int = Field(1, ge=1)
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


def _line_map(text: str) -> dict[tuple, int]:
    """Key path (tuple) → 1-based line of that key in the YAML text."""
    lines: dict[tuple, int] = {}

    def walk(node, path):
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = k.value
                lines[path + (key,)] = k.start_mark.line + 1
                walk(v, path + (key,))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                lines[path + (i,)] = v.start_mark.line + 1
                walk(v, path + (i,))

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is not None:
        walk(root, ())
    return lines


def _read_yaml(text: str, file: str) -> tuple[Any, dict[tuple, int]]:
    try:
        data = yaml.safe_load(text)
        lines = _line_map(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError([ConfigIssue(file, mark.line + 1 if mark else None, "",
                                       f"not valid YAML: {problem}")]) from None
    return data, lines


def _parse_value(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def apply_overrides(data: dict, overrides: list[str] | None, file: str) -> set[tuple]:
    """Apply ``key.path=value`` overrides in place; returns the overridden paths."""
    done = set()
    for item in overrides or []:
        if "=" not in item:
            raise ConfigError([ConfigIssue("--set", None, item, "expected key.path=value")])
        key, value = item.split("=", 1)
        parts = [p for p in key.strip().split(".") if p]
        if not parts:
            raise ConfigError([ConfigIssue("--set", None, item, "expected key.path=value")])
        node = data
        for p in parts[:-1]:
            nxt = node.get(p)
            if nxt is None:
                nxt = node[p] = {}
            if not isinstance(nxt, dict):
                raise ConfigError([ConfigIssue("--set", None, key,
                                               f"{p!r} is not a mapping in {file}")])
            node = nxt
        node[parts[-1]] = _parse_value(value)
        done.add(tuple(parts))
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
        model = subs[0] if len(subs) == 1 else None
        i += 1
    return tuple(clean), parent


def _describe(value: Any) -> str:
    s = repr(value)
    return s if len(s) <= 60 else s[:57] + "..."


def _issues_from_validation(exc: ValidationError, *, file: str, lines: dict, prefix: tuple,
                            model: type[BaseModel], overridden: set[tuple]) -> list[ConfigIssue]:
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
        src = "--set" if full in overridden else file
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
        issues.append(ConfigIssue(src, line, path, msg))
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
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError([ConfigIssue(file, None, "", f"cannot read file: {exc}")]) from None
        data, lines = _read_yaml(text, file)
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
    if issues:
        raise ConfigError(issues)
    return cfg


def dump(cfg: ScenarioConfig) -> str:
    """YAML text of the resolved config."""
    return yaml.safe_dump(cfg.resolved(), sort_keys=False)



__all__ = ["ScenarioConfig", "ConfigError", "ConfigIssue", "DomainParams", "load", "dump",
           "resolve_scenario", "bundled_scenarios", "apply_overrides", "BACKENDS", "DEVICES"]
