"""The beam reproduction page runs small (every section, figures written) and
its law fit recovers a known exponent."""

from __future__ import annotations

import numpy as np

from collapsesim.reproductions import get
from collapsesim.reproductions.beam import fit_power_of_log, page


def test_fit_recovers_the_exponent():
    B = np.array([8, 16, 64, 512])
    k, c = fit_power_of_log(B, 2.5 * np.log(B) ** 2.7)
    assert abs(k - 2.7) < 1e-9 and abs(c - 2.5) < 1e-9


def test_expansion_records_every_candidate():
    from collapsesim.reproductions.beam import expansion

    steps = expansion(B=4, V=3, tokens=8)
    for st in steps[1:]:
        assert len(st["parent"]) == 12 and len(st["kept"]) == 4
        best = set(np.argsort(-st["lp"], kind="stable")[:4].tolist())
        assert set(st["kept"]) == best  # the survivors are the 4 best candidates


def test_page_runs_small(tmp_path):
    assert get("beam").name == "page"
    path = page(tmp_path, seed=1, backend="numba", scale=0.1)
    text = path.read_text()
    for part in ("collapsesim reproduce beam", "(ln B)^", "ln³ B", "Diverse beam", "temperature",
                 "CUDA untested"):
        assert part in text
    for fig in ("beam_tmrca", "beam_diverse", "beam_sampling", "beam_tree"):
        assert (tmp_path / "figures" / f"{fig}.png").stat().st_size > 0
