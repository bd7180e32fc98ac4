"""Fixtures for the engine tests: the three CPU backends."""

from __future__ import annotations

import pytest

from collapsesim.engine import get_backend

CPU_BACKENDS = ("numpy", "numba", "torch")


@pytest.fixture(params=CPU_BACKENDS)
def backend(request):
    """Each CPU backend in turn."""
    return get_backend(request.param)

