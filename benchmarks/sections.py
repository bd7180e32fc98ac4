"""Imports every module that registers a benchmark section (in report order)."""

from . import engine  # noqa: F401
