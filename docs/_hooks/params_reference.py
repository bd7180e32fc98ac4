"""MkDocs hook: generate ``reference/params.md``, the YAML reference of every
registered domain's ``params:`` block, at build time.

For each domain of :func:`collapsesim.registry.available` the hook walks the
pydantic model ``Domain.Params``: one table per model (key, type, default,
constraints, description — the ``Field(description=...)`` text), the model's
docstring above it, and a table for every nested model a field can hold (a
``kind``-tagged union lists each variant). Nothing is copied by hand, so the
page follows the code.
"""

from __future__ import annotations

import enum
import inspect
import types
import typing

from mkdocs.structure.files import File
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

PAGE = "reference/params.md"


def _models_in(annotation) -> list[type[BaseModel]]:
    """The pydantic models an annotation can hold, in order of appearance."""
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        for m in _models_in(arg):
            if m not in out:
                out.append(m)
    return out


def _type_name(annotation) -> str:
    """A short, readable form of a type annotation."""
    if annotation is type(None):
        return "null"
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return annotation.__name__
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return " \\| ".join(repr(a) for a in args)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        return " \\| ".join(_type_name(a) for a in args)
    if origin is not None:
        name = getattr(origin, "__name__", str(origin))
        return f"{name}[{', '.join(_type_name(a) for a in args)}]"
    return getattr(annotation, "__name__", str(annotation))


def _default(info) -> str:
    if info.default_factory is not None:
        try:
            value = info.default_factory()
        except TypeError:  # a factory that takes the validated data
            return "computed"
    elif info.default is PydanticUndefined:
        return "required"
    else:
        value = info.default
    if isinstance(value, BaseModel):
        return f"{type(value).__name__} defaults"
    if isinstance(value, enum.Enum):
        value = value.value
    return f"`{value!r}`" if value is not None else "`None`"


_BOUNDS = {"gt": ">", "ge": "≥", "lt": "<", "le": "≤", "multiple_of": "multiple of",
           "min_length": "length ≥", "max_length": "length ≤"}


def _constraints(info) -> str:
    out = []
    for m in info.metadata:
        for attr, sign in _BOUNDS.items():
            value = getattr(m, attr, None)
            if value is not None:
                out.append(f"{sign} {value}")
    return ", ".join(out)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _table(model: type[BaseModel]) -> list[str]:
    rows = ["| key | type | default | constraints | description |",
            "| --- | --- | --- | --- | --- |"]
    for key, info in model.model_fields.items():
        rows.append(f"| `{info.alias or key}` | {_type_name(info.annotation)} | {_default(info)} "
                    f"| {_cell(_constraints(info))} | {_cell(info.description or '')} |")
    return rows


def _doc(model: type[BaseModel]) -> list[str]:
    doc = inspect.getdoc(model)
    if not doc or doc == inspect.getdoc(BaseModel) or model.__doc__ is None:
        return []
    return [doc, ""]


def _domain_section(name: str, params: type[BaseModel]) -> list[str]:
    lines = [f"## `{name}`", "", f"`{params.__module__}.{params.__name__}`", ""]
    lines += _doc(params) + _table(params) + [""]
    seen = {params}
    queue = [m for info in params.model_fields.values() for m in _models_in(info.annotation)]
    while queue:
        model = queue.pop(0)
        if model in seen:
            continue
        seen.add(model)
        lines += [f"### `{name}`: `{model.__name__}`", ""] + _doc(model) + _table(model) + [""]
        queue += [m for info in model.model_fields.values() for m in _models_in(info.annotation)]
    return lines


def render() -> str:
    """The whole page: one section per registered domain."""
    from collapsesim import registry

    lines = ["# Domain parameters", "",
             "The `params:` block of a scenario, per domain, generated from each domain's "
             "pydantic model when the site is built. A key without a default is required; a "
             "field holding one of several models picks it with its `kind` key. "
             "`collapsesim validate FILE` checks a scenario against these models.", ""]
    for name in registry.available():
        lines += _domain_section(name, registry.get_domain(name).Params)
    return "\n".join(lines)


def on_files(files, config):
    """Add the generated page to the site's files."""
    files.append(File.generated(config, PAGE, content=render()))
    return files
