"""The data a filter runs on: simulated from the model, or read from a CSV file.

Simulated data are drawn with their own generator, ``data_seed``, the same for
every replicate (replicates differ only in the filter's randomness), in time
order, so the first T' observations do not depend on how many are drawn.

A CSV file holds one row per time step 0, 1, ... and one column per observed
coordinate; an optional header row (any non-numeric first row) is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...engine.rng import numpy_generator


@dataclass
class Data:
    """Observations y (T, p) and, for simulated data, the true states x (T, d)."""

    y: np.ndarray
    x: np.ndarray | None = None

    @property
    def T(self) -> int:
        return self.y.shape[0]


def read_csv(path: Path, obs_dim: int | None = None) -> np.ndarray:
    """Observations (T, p) from a CSV file; ``ValueError`` with a message that
    says what is wrong (missing file, not numbers, wrong number of columns)."""
    if not path.is_file():
        raise ValueError(f"an existing CSV file of observations; {str(path)!r} does not exist "
                         f"(relative paths start from {Path.cwd()})")
    try:
        lines = [ln.strip() for ln in path.read_text().splitlines() if ln.strip()]
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"a readable CSV file of observations; cannot read {str(path)!r}: {exc}")
    rows = [ln.split(",") for ln in lines]
    if rows and not _numeric(rows[0]):
        rows = rows[1:]  # a header
    if len(rows) < 2:
        raise ValueError(f"a CSV file with at least two rows of observations (times 0 and 1); "
                         f"{str(path)!r} has {len(rows)}")
    bad = next((i for i, r in enumerate(rows) if not _numeric(r)), None)
    if bad is not None:
        raise ValueError(f"numbers in every row of {str(path)!r}; a row reads {','.join(rows[bad])!r}")
    widths = {len(r) for r in rows}
    if len(widths) != 1 or (obs_dim is not None and widths != {obs_dim}):
        want = f"{obs_dim} column(s), one per observed coordinate" if obs_dim else "equal rows"
        raise ValueError(f"{want} in {str(path)!r}; found rows of {sorted(widths)} column(s)")
    y = np.array([[float(v) for v in r] for r in rows])
    if not np.all(np.isfinite(y)):
        raise ValueError(f"finite numbers in {str(path)!r}")
    return y


def _numeric(row: list[str]) -> bool:
    try:
        [float(v) for v in row]
    except ValueError:
        return False
    return True


def load_data(params, model, T: int) -> Data:
    """The data of a run with at least ``T`` time steps: the CSV file's
    observations (all of them), or T simulated ones."""
    if params.observations is not None:
        return Data(read_csv(Path(params.observations), model.obs_dim))
    x, y = model.simulate(numpy_generator(params.data_seed), T)  # = default_rng(data_seed)
    return Data(y, x)
