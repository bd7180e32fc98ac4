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
    with np.errstate(over="ignore", invalid="ignore"):  # values near the float maximum
        area = float(np.trapezoid(rd, x))
    return area if math.isfinite(area) else None


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


# -- many series at once ----------------------------------------------------------------------


def _finite(v: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(v), v, np.nan)


def _none_if_nan(v: np.ndarray) -> list:
    """Floats, None where not finite."""
    v = np.asarray(v, dtype=float)
    if np.isfinite(v).all():
        return v.tolist()
    return [x if math.isfinite(x) else None for x in v.tolist()]


def _block_ids(starts: np.ndarray, n: int) -> np.ndarray:
    """The block of each of ``n`` rows (blocks start at ``starts``, the last runs to the end)."""
    return np.repeat(np.arange(len(starts)), np.diff(np.append(starts, n)))


def block_collapse_steps(starts: np.ndarray, steps: np.ndarray, rd: np.ndarray,
                         threshold: float) -> list:
    """:func:`collapse_step` of every block of rows (blocks start at ``starts``,
    increasing, the last running to the end), in one pass."""
    import pandas as pd

    n = len(rd)
    bid = _block_ids(starts, n)
    rd = _finite(np.asarray(rd, dtype=float))
    runmax = pd.Series(rd).groupby(bid).cummax().to_numpy()
    hit = np.where(rd < threshold * runmax, np.arange(n), n)
    first = np.minimum.reduceat(hit, starts)
    return [int(steps[i]) if i < n else None for i in first.tolist()]


def block_areas(starts: np.ndarray, steps: np.ndarray, rd: np.ndarray) -> list:
    """:func:`area_under_curve` of every block of rows, in one pass (the
    trapezoid terms of each block summed in order)."""
    nb = len(starts)
    bid = _block_ids(starts, len(rd))
    rd = np.asarray(rd, dtype=float)
    ok = np.isfinite(rd)
    b, s, y = bid[ok], np.asarray(steps, dtype=float)[ok], rd[ok]
    count = np.bincount(b, minlength=nb)
    first = np.full(nb, np.nan)
    last = np.full(nb, np.nan)
    first[b[::-1]] = s[::-1]
    last[b] = s
    y_last = np.full(nb, np.nan)
    y_last[b] = y
    span = last - first
    x = (s - first[b]) / np.where(span[b] > 0, span[b], 1.0)
    pair = b[1:] == b[:-1]
    with np.errstate(over="ignore", invalid="ignore"):  # values near the float maximum
        terms = (x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0
        area = np.bincount(b[1:][pair], weights=terms[pair], minlength=nb)
    out = np.where((count == 1) | (span == 0), y_last, area)
    return [None if c == 0 or not math.isfinite(a) else a for c, a in zip(count.tolist(), out.tolist())]


def summarize_blocks(starts: np.ndarray, steps: np.ndarray, values: dict[str, np.ndarray],
                     threshold: float = 0.5) -> list[dict]:
    """:func:`summarize_series` of many series at once: rows of every series
    stacked, series b starting at row ``starts[b]``; ``values`` maps metric
    name → the stacked trajectories. Every block gets every metric given."""
    n = len(steps)
    ends = np.append(starts[1:], n) - 1
    cols: dict[str, list] = {}
    rd = values.get("relative_diversity")
    if rd is not None:
        cols["collapse_step"] = block_collapse_steps(starts, steps, rd, threshold)
        cols["auc"] = block_areas(starts, steps, rd)
    for name, traj in values.items():
        arr = np.asarray(traj, dtype=float)
        cols[f"final_{name}"] = _none_if_nan(_finite(arr[ends]))
        fin = _finite(arr)
        if name == "collapse_index":
            cols["max_collapse_index"] = _none_if_nan(np.fmax.reduceat(fin, starts))
        else:
            cols[f"min_{name}"] = _none_if_nan(np.fmin.reduceat(fin, starts))
    keys = list(cols)
    return [dict(zip(keys, row)) for row in zip(*cols.values())] if keys else [{} for _ in starts]
