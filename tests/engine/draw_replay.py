"""Record a backend's random draws and replay them on another backend, so an
operator's torch implementation can be compared exactly with the numpy
reference given the same random numbers (imported as a plain module: pytest
puts this directory on sys.path)."""

from __future__ import annotations

import numpy as np

from collapsesim.engine import get_backend

DRAWS = ("uniform", "normal", "integers")


class Recording:
    """``backend`` whose draws are kept (as numpy) in ``draws``, in order."""

    def __init__(self, backend):
        self._b, self.draws = backend, []

    def __getattr__(self, name):
        attr = getattr(self._b, name)
        if name in DRAWS:
            def draw(*args, **kwargs):
                out = attr(*args, **kwargs)
                self.draws.append(self._b.to_numpy(out))
                return out
            return draw
        if name == "op":  # operators called inside the operator see this proxy too
            return lambda op: (lambda *a, **k: self._b.op(op).func(self, *a, **k))
        return attr


class Replaying(Recording):
    """``backend`` (numpy) whose draws return ``draws`` in order instead."""

    def __init__(self, draws, backend="numpy"):
        super().__init__(get_backend(backend))
        self._queue = list(draws)

    def __getattr__(self, name):
        if name in DRAWS:
            return lambda *a, **k: self._b.asarray(self._queue.pop(0))
        return super().__getattr__(name)


def on_torch_and_replayed(op: str, *args, numpy_args=None, seed: int = 0):
    """``op`` run on torch (CPU) with ``args``, and the numpy reference run with
    the same draws and ``numpy_args`` (default: ``args`` as numpy): both as numpy."""
    torch_be = get_backend("torch")
    rec = Recording(torch_be)
    rng = torch_be.rng(np.random.SeedSequence(seed))
    t_args = [torch_be.asarray(a) if isinstance(a, np.ndarray) else a for a in args]
    got = torch_be.op(op).func(rec, *t_args, rng)
    rep = Replaying(rec.draws)
    ref = get_backend("numpy").op(op).func(rep, *(numpy_args or args), None)
    assert not rep._queue, "the reference drew fewer numbers than torch"
    conv = (lambda x: torch_be.to_numpy(x))
    if isinstance(got, tuple):
        return tuple(conv(g) for g in got), ref
    return conv(got), ref
