"""Run summaries of a series' metric trajectory (DESIGN.md "Run summary").

* ``collapse_step``: the first recorded step at which relative diversity falls
  below ``threshold`` × its running maximum (so a domain whose diversity rises
  first is measured from its peak); None if never.
* ``final_<metric>`` and ``min_<metric>`` of every shared metric, except that
  the collapse index gets ``max_collapse_index`` (its greatest value: the
  deepest collapse of the run) instead of a minimum, which is 0 at step 0 (or
  below, when more diverse than the reference) and says nothing about collapse.
  Summaries written before this change carry ``min_collapse_index`` instead;
  read ``max_collapse_index`` from the metrics table of such a run.
* ``auc``: the area under the relative-diversity curve against the fraction of
  the run, x = step / last step (trapezoid rule): the mean relative diversity
  over the run, comparable across domains and run lengths.
"""

from __future__ import annotations

import math

import numpy as np


def collapse_step(steps, relative_diversity, threshold: float = 0.5):
    """First step where relative diversity < threshold × running max, else None."""
    rd = np.asarray(relative_diversity, dtype=float)
    steps = np.asarray(steps)
    ok = np.isfinite(rd)
    rd, steps = rd[ok], steps[ok]
    if rd.size == 0:
        return None
    runmax = np.maximum.accumulate(rd)
    hit = np.flatnonzero(rd < threshold * runmax)
    return int(steps[hit[0]]) if hit.size else None


def area_under_curve(steps, relative_diversity) -> float | None:
    """∫₀¹ relative_diversity d(step / last_step), trapezoid rule."""
    rd = np.asarray(relative_diversity, dtype=float)
    s = np.asarray(steps, dtype=float)
    ok = np.isfinite(rd)
    rd, s = rd[ok], s[ok]
    if rd.size == 0:
        return None
    if rd.size == 1 or s[-1] == s[0]:
        return float(rd[-1])
    x = (s - s[0]) / (s[-1] - s[0])
    return float(np.trapezoid(rd, x))


def _clean(v):
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def summarize_series(steps, values: dict[str, np.ndarray], threshold: float = 0.5) -> dict:
    """Summary of one series: ``values`` maps metric name → trajectory over ``steps``."""
    out: dict = {}
    rd = values.get("relative_diversity")
    if rd is not None:
        out["collapse_step"] = collapse_step(steps, rd, threshold)
        out["auc"] = area_under_curve(steps, rd)
    for name, traj in values.items():
        arr = np.asarray(traj, dtype=float)
        fin = arr[np.isfinite(arr)]
        out[f"final_{name}"] = _clean(arr[-1]) if arr.size else None
        if name == "collapse_index":
            out["max_collapse_index"] = _clean(fin.max()) if fin.size else None
        else:
            out[f"min_{name}"] = _clean(fin.min()) if fin.size else None
    return out
