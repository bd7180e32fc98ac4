"""MkDocs hook: a nav entry written as a glob (``Reproductions: reproductions/*.md``)
becomes the sorted list of the pages it matches, so a new reproduction page is in
the site's navigation without an edit here. A pattern matching nothing is an
error (``mkdocs build`` stops)."""

from __future__ import annotations

from pathlib import Path

from mkdocs.exceptions import PluginError


def _expand(entry, docs: Path):
    if isinstance(entry, list):
        return [_expand(e, docs) for e in entry]
    if isinstance(entry, dict):
        return {k: _expand(v, docs) for k, v in entry.items()}
    if isinstance(entry, str) and "*" in entry:
        pages = sorted(p.relative_to(docs).as_posix() for p in docs.glob(entry))
        if not pages:
            raise PluginError(f"nav pattern {entry!r} matches no page under {docs.name}/")
        return pages
    return entry


def on_config(config):
    """Expand the nav's glob entries against docs_dir."""
    if config["nav"]:
        config["nav"] = _expand(config["nav"], Path(config["docs_dir"]))
    return config
