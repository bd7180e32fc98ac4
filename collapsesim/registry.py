"""The domain registry: built-in domains register with :func:`register`;
third-party domains through the entry-point group ``collapsesim.domains``."""

from __future__ import annotations

import difflib
from importlib.metadata import entry_points

from .domains.base import Domain

_DOMAINS: dict[str, type[Domain]] = {}
_LOADED = False  # every built-in domain imported
_PLUGINS: dict[str, type[Domain]] | None = None  # what the plugins registered, once loaded


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


def _load_plugins() -> None:
    """Import the third-party domains of the entry-point group once, and keep
    what they registered: a plugin may replace a built-in name, also one whose
    built-in module is imported later."""
    global _PLUGINS
    if _PLUGINS is None:
        before = dict(_DOMAINS)
        for ep in entry_points(group="collapsesim.domains"):
            try:
                ep.load()
            except Exception as exc:  # a broken plugin must not break the CLI
                import warnings

                warnings.warn(f"collapsesim: could not load domain plugin {ep.name!r}: {exc}")
        _PLUGINS = {k: v for k, v in _DOMAINS.items() if before.get(k) is not v}
    _DOMAINS.update(_PLUGINS)


def _load(name: str | None = None) -> None:
    """Register domains: only the built-in ``name`` (a run of one domain does
    not import the others — the GAN's torch, the sweep's tskit), else every
    built-in one; then the plugins, which take precedence over a built-in name."""
    global _LOADED
    from importlib import import_module

    from .domains import BUILTIN

    if name in BUILTIN and not _LOADED:
        import_module(f"{__package__}.domains.{name}")  # registers itself on import
    elif not _LOADED:
        _LOADED = True
        for mod in BUILTIN:
            import_module(f"{__package__}.domains.{mod}")
    _load_plugins()


def available() -> list[str]:
    """Names of the registered domains, sorted."""
    _load()
    return sorted(_DOMAINS)


def get_domain(name: str) -> type[Domain]:
    """The domain class registered under ``name``; a clear error otherwise."""
    _load(name)
    if name not in _DOMAINS:
        _load()
    try:
        return _DOMAINS[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), list(_DOMAINS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UnknownDomainError(
            f"unknown domain {name!r}{hint}; available: {', '.join(sorted(_DOMAINS))}"
        ) from None
