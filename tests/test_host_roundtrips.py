"""Host round-trips in the torch domains' step loops (issue #14, GPU path).

CPU torch stands in for CUDA: every call of a tensor method that copies to the
host or reads a value (``cpu``, ``item``, ``numpy``, ``tolist``, ``__bool__``,
``__int__``, ``__float__``, ``__index__``) during ``sim.step()`` and
``sim.finished`` is counted with its call site. Each domain's step loop may
make only the justified reads listed here (by file and function), each at most
once per step; recording (``observe()``) is not counted.

Justified reads:

* particle_filter: the normalisation's one read of (max lw, ΣW, ΣW²) per step
  (the log-likelihood increment on the host, a ``DivergenceError`` raised at the
  step where the weights fail, the adaptive resampling decision), and the
  engine's resampler validating the weights' sum (``_require``: engine code,
  outside this domain, made on the CPU only — skipped on CUDA, see
  :mod:`collapsesim.engine.backends.torch_resampling`);
* ga / hikers: ``finished`` with ``stop_at_optimum`` (one boolean per step: the
  runner stops at the first step it is true); hikers' random restarts read how
  many hikers restart (that many fresh hikers are drawn, as on the host);
* drift: the counts live on the host (see the domain's module docstring).
"""

from __future__ import annotations

import collections
import traceback

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from benchmarks.cuda_check import SYNC_METHODS, build, main  # noqa: E402

STEPS = 12


def _reads(scenario, overrides):
    """(reads in step(), reads in finished) per call site, over STEPS steps."""
    sim = build(scenario, overrides, "cpu", STEPS + 2)
    sim.step()  # first-step set-up (lazy buffers) is not part of the loop
    where = {"step": collections.Counter(), "finished": collections.Counter()}
    phase = [None]
    saved = {name: getattr(torch.Tensor, name) for name in SYNC_METHODS}

    def wrap(name, original):
        def wrapper(tensor, *args, **kwargs):
            if phase[0] is not None:
                frames = [f for f in traceback.extract_stack()[:-1] if "collapsesim" in f.filename]
                site = frames[-1] if frames else None
                key = "?" if site is None else f"{site.filename.rsplit('collapsesim/', 1)[-1]}:{site.name}"
                where[phase[0]][key] += 1
            return original(tensor, *args, **kwargs)
        return wrapper

    try:
        for name, original in saved.items():
            setattr(torch.Tensor, name, wrap(name, original))
        for _ in range(STEPS):
            phase[0] = "step"
            sim.step()
            phase[0] = "finished"
            done = bool(sim.finished)
            phase[0] = None
            if done:
                break
    finally:
        phase[0] = None
        for name, original in saved.items():
            setattr(torch.Tensor, name, original)
    sim.observe()  # recording still works after the device-buffered steps
    return where


RESAMPLER = "engine/backends/torch_resampling.py:_require"  # CPU only
#: The filter's one read of (max lw, ΣW, ΣW²): once to normalise, once more for the
#: auxiliary filter's first-stage weights.
SUMS = "domains/particle_filter/kernels.py:scaled_sums"
ALLOWED = {
    ("particle_filter", ()): ({SUMS: 1, RESAMPLER: 1}, {}),
    ("particle_filter", ("params.resampling=adaptive", "params.filter=auxiliary")):
        ({SUMS: 2, RESAMPLER: 1}, {}),
    ("ga", ()): ({}, {}),
    ("ga", ("params.islands={count: 4, migrants: 2, interval: 3}", "params.elitism=2")): ({}, {}),
    ("ga", ("params.stop_at_optimum=true", "params.problem=F1")):
        ({}, {"domains/ga/model.py:finished": 1}),
    ("hikers", ()): ({}, {}),
    ("hikers", ("params.stop_at_optimum=true",)): ({}, {"domains/hikers/model.py:finished": 1}),
    ("hikers", ("params.restart_patience=2",)): ({"domains/hikers/model.py:_restart": 1}, {}),
}


@pytest.mark.parametrize("case", list(ALLOWED), ids=lambda c: " ".join((c[0],) + c[1]))
def test_step_loop_makes_only_the_justified_host_reads(case):
    scenario, overrides = case
    reads = _reads(scenario, list(overrides))
    allowed_step, allowed_finished = ALLOWED[case]
    for phase, allowed in (("step", allowed_step), ("finished", allowed_finished)):
        for site, count in reads[phase].items():
            assert site in allowed, f"{phase}: unexpected host read at {site} ({count} in {STEPS} steps)"
            # adaptive resampling may skip the resampler on a step: at most once per step
            assert count <= allowed[site] * STEPS, (phase, site, count)


def test_particle_filter_reads_at_most_one_value_set_per_step_without_the_engine():
    """Without the engine's weight check, the filter's own reads are one per step."""
    reads = _reads("particle_filter", [])
    own = {k: v for k, v in reads["step"].items() if k != RESAMPLER}
    assert own == {SUMS: STEPS}


def test_cuda_check_runs_on_cpu(tmp_path, capsys):
    out = tmp_path / "table.md"
    assert main(["--device", "cpu", "--steps", "3", "--out", str(out)]) == 0
    text = out.read_text()
    for label in ("particle_filter", "ga", "hikers", "drift"):
        assert f"| {label} | " in text
    rows = [line.split("|") for line in text.splitlines() if line.startswith("| ga ")]
    assert float(rows[0][4]) == 0.0  # ga's step makes no host read


def test_counter_sees_a_read():
    """The counting itself: a tensor's bool() in step() is seen."""
    from benchmarks.cuda_check import SyncCounter

    counter = SyncCounter()
    counter.install()
    try:
        with counter.counting():
            bool(torch.ones(1) > 0)
            np.asarray(torch.ones(2).numpy())
    finally:
        counter.uninstall()
    assert counter.counts == {"__bool__": 1, "numpy": 1}
