"""Benchmarks: ``python -m benchmarks`` writes ``docs/benchmarks.md``.

The report is a list of *sections*; each is a function registered with
:func:`section` that takes a :class:`~benchmarks.timing.Settings` and returns
its Markdown. The engine adds ``engine``; a domain adds its own module here and
registers a section the same way (and imports it in :mod:`benchmarks.sections`).

Peers (particles, DEAP and EvoTorch, fwdpy11 and msprime, transformers) run in
their own environments through :mod:`benchmarks.peers`
(``benchmarks/setup_peers.sh`` builds them); sections record their cost
against size for :mod:`benchmarks.scaling`, which runs last; ratios carry their
run-to-run spread for ``--compare`` (:mod:`benchmarks.compare`).
"""

from __future__ import annotations

from typing import Callable

from .timing import Settings

SectionFn = Callable[[Settings], str]
SECTIONS: dict[str, SectionFn] = {}


def section(name: str) -> Callable[[SectionFn], SectionFn]:
    """Register ``fn`` as the report section ``name`` (sections run in registration order)."""

    def register(fn: SectionFn) -> SectionFn:
        if name in SECTIONS:
            raise ValueError(f"benchmark section {name!r} registered twice")
        SECTIONS[name] = fn
        return fn

    return register
