"""Backends: one operator interface (:class:`Backend`), three implementations.

``get_backend("numpy")`` is the reference (readable, the specification),
``"numba"`` the compiled CPU default, ``"torch"`` runs on CPU or CUDA.
Instances are cached: ``get_backend`` returns the same object for the same
``(name, device)``.
"""

from __future__ import annotations

from functools import lru_cache

from .base import RESAMPLING_SCHEMES, Backend

BACKENDS = ("numpy", "numba", "torch")
DEVICES = ("cpu", "cuda")

__all__ = ["BACKENDS", "DEVICES", "RESAMPLING_SCHEMES", "Backend", "get_backend"]


def get_backend(name: str | Backend, device: str = "cpu") -> Backend:
    """The backend called ``name`` ("numpy", "numba" or "torch") on ``device``.

    A :class:`Backend` instance is returned unchanged. Raises ``ValueError`` for an
    unknown name or device, for ``cuda`` on a backend other than torch, and for
    ``cuda`` when torch sees no GPU.
    """
    if isinstance(name, Backend):
        return name
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}: expected one of {', '.join(BACKENDS)}")
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}: expected one of {', '.join(DEVICES)}")
    if device == "cuda" and name != "torch":
        raise ValueError(f"device 'cuda' needs backend 'torch' (got backend {name!r})")
    return _cached(name, device)


@lru_cache(maxsize=None)
def _cached(name: str, device: str) -> Backend:
    if name == "numpy":
        from .numpy_backend import NumpyBackend

        return NumpyBackend()
    if name == "numba":
        from .numba_backend import NumbaBackend

        return NumbaBackend()
    from .torch_backend import TorchBackend

    return TorchBackend(device)
