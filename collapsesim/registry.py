"""The domain registry: built-in domains register with :func:`register`;
third-party domains through the entry-point group ``collapsesim.domains``."""

from __future__ import annotations

import difflib
from importlib.metadata import entry_points

from .domains.base import Domain

_DOMAINS: dict[str, type[Domain]] = {}
_LOADED = False


class UnknownDomainError(KeyError):
    def __str__(self) -> str:  # KeyError quotes its message; we want plain text
        return str(self.args[0])


def register(name: str):
    """Class decorator: ``@register("drift") class Drift(Domain): ...``."""

    def deco(cls: type[Domain]) -> type[Domain]:
        cls.name = name
        _DOMAINS[name] = cls
        return cls

    return deco


def _load() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    from importlib import import_module

    from .domains import BUILTIN

    for mod in BUILTIN:  # each registers itself on import
        import_module(f"{__package__}.domains.{mod}")

    for ep in entry_points(group="collapsesim.domains"):
        try:
            ep.load()
        except Exception as exc:  # a broken plugin must not break the CLI
            import warnings

            warnings.warn(f"collapsesim: could not load domain plugin {ep.name!r}: {exc}")


def available() -> list[str]:
    """Names of the registered domains, sorted."""
    _load()
    return sorted(_DOMAINS)


def get_domain(name: str) -> type[Domain]:
    """The domain class registered under ``name``; a clear error otherwise."""
    _load()
    try:
        return _DOMAINS[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), list(_DOMAINS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UnknownDomainError(
            f"unknown domain {name!r}{hint}; available: {', '.join(sorted(_DOMAINS))}"
        ) from None
