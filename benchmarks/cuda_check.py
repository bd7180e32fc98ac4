"""The torch domains' step loops on a device: steps/s and host round-trips.

``python -m benchmarks.cuda_check`` (default ``--device cuda``) builds one
replicate of each torch domain's default scenario (particle_filter, ga,
hikers, drift), and of a large-population variant on CUDA, runs its step loop
as the runner does (``step()``, then ``finished``) and reports, per case:

* steps/s over the timed steps (after warm-up steps; the device synchronised
  before and after);
* host round-trips per step, counted in ``step()`` and in ``finished``
  separately: calls of the tensor methods that copy to the host or read a
  value (``cpu``, ``item``, ``numpy``, ``tolist``, ``__bool__``, ``__int__``,
  ``__float__``, ``__index__``), and on CUDA also the synchronisations torch's
  sync debug mode reports (``torch.cuda.set_sync_debug_mode("warn")``), which
  catches those the counted methods miss (a boolean mask, ``nonzero``);
* the time of one ``observe()`` after the timed steps (recording: where the
  genealogy's buffered generations, all the timed steps', move to the host).

The whole run takes a few minutes on a GPU (``--steps`` scales it). It writes
a markdown table to ``--out`` (default: standard output). ``--device cpu``
runs the same loop on CPU torch (one thread), which the tests use.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
import warnings

import numpy as np

# (label, scenario, overrides): the default scenarios, then large populations (CUDA only)
CASES = [
    ("particle_filter", "particle_filter", []),
    ("ga", "ga", []),
    ("hikers", "hikers", []),
    ("drift", "drift", []),
]
LARGE = [
    ("particle_filter N=1e6", "particle_filter", ["params.N=1000000"]),
    ("ga N=1e5", "ga", ["params.N=100000"]),
    ("hikers N=1e4", "hikers", ["params.N=10000"]),
    ("drift N=1e6", "drift", ["params.N=1000000"]),
]
SYNC_METHODS = ("cpu", "item", "numpy", "tolist", "__bool__", "__int__", "__float__", "__index__")


class SyncCounter:
    """Counts calls of the tensor methods in :data:`SYNC_METHODS` while active
    (``with counter.counting():``), by method name."""

    def __init__(self):
        import torch

        self.torch = torch
        self.counts: dict[str, int] = {}
        self._active = False
        self._saved = {}

    def install(self) -> None:
        """Wrap the methods (until :meth:`uninstall`)."""
        for name in SYNC_METHODS:
            original = getattr(self.torch.Tensor, name)
            self._saved[name] = original

            def wrapper(tensor, *args, _name=name, _original=original, **kwargs):
                if self._active:
                    self.counts[_name] = self.counts.get(_name, 0) + 1
                return _original(tensor, *args, **kwargs)

            setattr(self.torch.Tensor, name, wrapper)

    def uninstall(self) -> None:
        for name, original in self._saved.items():
            setattr(self.torch.Tensor, name, original)
        self._saved = {}

    @contextlib.contextmanager
    def counting(self):
        self._active = True
        try:
            yield
        finally:
            self._active = False

    def total(self) -> int:
        return sum(self.counts.values())

    def reset(self) -> None:
        self.counts = {}


def build(scenario: str, overrides: list[str], device: str, steps: int):
    """One torch replicate of ``scenario`` (seed 1) on ``device``."""
    from collapsesim.config import load
    from collapsesim.engine import get_backend
    from collapsesim.registry import get_domain

    cfg = load(scenario, overrides)
    domain = get_domain(cfg.domain)()
    backend = get_backend("torch", device)
    return domain.build(cfg.params, backend=backend, seeds=[np.random.SeedSequence(1)], steps=steps)


def measure(scenario: str, overrides: list[str], device: str, steps: int, warm: int = 5) -> dict:
    """Steps/s and host round-trips per step of one replicate (see the module docstring)."""
    import torch

    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    sim = build(scenario, overrides, device, warm + steps)
    for _ in range(warm):
        sim.step()
    sim.observe()  # the first recording (compiled host code loaded) is not timed
    sync()
    counter = SyncCounter()
    counter.install()
    in_step = in_finished = 0
    cuda_syncs = 0
    done = 0
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if device == "cuda":
                torch.cuda.set_sync_debug_mode("warn")
            t0 = time.perf_counter()
            for _ in range(steps):
                with counter.counting():
                    sim.step()
                in_step += counter.total()
                counter.reset()
                done += 1
                with counter.counting():
                    finished = bool(sim.finished)
                in_finished += counter.total()
                counter.reset()
                if finished:
                    break
            sync()
            elapsed = time.perf_counter() - t0
            if device == "cuda":
                torch.cuda.set_sync_debug_mode("default")
                cuda_syncs = sum("synchroniz" in str(w.message) for w in caught)
    finally:
        counter.uninstall()
    t1 = time.perf_counter()
    sim.observe()
    sync()
    observe_s = time.perf_counter() - t1
    return {"steps": done, "steps_per_s": done / elapsed, "syncs_step": in_step / done,
            "syncs_finished": in_finished / done,
            "cuda_syncs": cuda_syncs / done if device == "cuda" else None, "observe_ms": 1e3 * observe_s}


def table(rows: list[tuple[str, dict]], device: str) -> str:
    """The markdown table of :func:`measure`'s results."""
    import torch

    name = torch.cuda.get_device_name(0) if device == "cuda" else "cpu"
    lines = [f"torch {torch.__version__} on {device} ({name})", "",
             "| case | steps | steps/s | host reads per step in step() | in finished | "
             "CUDA syncs per step | one observe() (ms) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for label, r in rows:
        cuda = "—" if r["cuda_syncs"] is None else f"{r['cuda_syncs']:.2f}"
        lines.append(f"| {label} | {r['steps']} | {r['steps_per_s']:.1f} | {r['syncs_step']:.2f} | "
                     f"{r['syncs_finished']:.2f} | {cuda} | {r['observe_ms']:.2f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    parser.add_argument("--steps", type=int, default=200, help="timed steps per case")
    parser.add_argument("--large", action="store_true",
                        help="add the large-population cases (default on CUDA)")
    parser.add_argument("--out", default=None, help="write the table here (default: stdout)")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    if args.device == "cuda" and not torch.cuda.is_available():
        print("no CUDA device: run with --device cpu", file=sys.stderr)
        return 2
    cases = CASES + (LARGE if args.large or args.device == "cuda" else [])
    rows = []
    for label, scenario, overrides in cases:
        rows.append((label, measure(scenario, overrides, args.device, args.steps)))
        print(f"{label}: {rows[-1]}", file=sys.stderr)
    text = table(rows, args.device)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
