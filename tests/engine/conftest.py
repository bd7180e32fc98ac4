"""Fixtures for the engine tests: the three CPU backends."""

from __future__ import annotations

import pytest

from collapsesim.engine import get_backend

CPU_BACKENDS = ("numpy", "numba", "torch")


@pytest.fixture(params=CPU_BACKENDS)
def backend(request):
    """Each CPU backend in turn."""
    return get_backend(request.param)


@pytest.fixture(params=("numba", "torch"))
def fast_backend(request):
    """The backends tested against the numpy reference."""
    return get_backend(request.param)
