"""A run figure's curves: the mean over replicates built from each replicate's
changes equals the definition (a steps × replicates table, each replicate's
last value carried forward, NaN skipped), and only the first MAX_LINES
replicates are drawn as lines."""

from __future__ import annotations

import numpy as np
import pandas as pd

from collapsesim import plotting


def _frame(R: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for r in rng.permutation(R):  # replicates in no particular order
        end = int(rng.integers(1, 30))  # each stops at its own step
        for step in sorted(rng.choice(np.arange(end + 1), size=min(end + 1, 8), replace=False)):
            v = np.nan if rng.random() < 0.1 else float(rng.random())
            rows.append((int(r), int(step), v))
            if rng.random() < 0.1:  # recorded twice at one step: the later row counts
                rows.append((int(r), int(step), float(rng.random())))
    df = pd.DataFrame(rows, columns=["replicate", "step", "value"])
    df["series"], df["metric"] = "s", "m"
    return df


def _definition(df: pd.DataFrame) -> pd.Series:
    wide = df.pivot_table(index="step", columns="replicate", values="value", aggfunc="last")
    return wide.sort_index().ffill().mean(axis=1)  # skips NaN


def test_mean_equals_the_carried_forward_table():
    for seed in range(5):
        df = _frame(150, seed)
        lines, steps, mean = plotting._series_curves(df, "s", "m")
        want = _definition(df)
        np.testing.assert_array_equal(steps, want.index.to_numpy())
        np.testing.assert_allclose(mean, want.to_numpy(), rtol=1e-12, atol=1e-12)
        assert lines.shape[1] == plotting.MAX_LINES
        assert list(lines.columns) == sorted(df["replicate"].unique())[:plotting.MAX_LINES]
