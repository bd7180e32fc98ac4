"""``python -m benchmarks --compare``: the ratio parser and the moved-ratio test on
synthetic reports, the spread cells, the scaling fit and the set-up script's syntax."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks import compare, peers, scaling
from benchmarks.__main__ import main
from benchmarks.timing import spread_ratio

OLD = """# Benchmarks

| machine | |
|---|---|
| CPU | test, 2 logical cores |

## particle_filter: nanoseconds per particle-step

| N | particles | numba | particles / numba |
|---|---|---|---|
| 1e+03 | 333.6 | 81.3 | 4.1× (4.0–4.3) |
| 1e+04 | 135.9 | 45.9 | 3× (2.9–3.1) |

## ga: one generation

| N | numba | DEAP / numba | EvoTorch / numba |
|---|---|---|---|
| 1,000 | 4 ms | 57× (56–58) | 7.4× (7.3–7.6) |

| backend | separate | speed-up |
|---|---|---|
| numba | 10 ms | 0.71× |

## psiblast

| mode | backend | sequences | × psiblast |
|---|---|---|---|
| ungapped | numba | 100 | 0.99× |
| ungapped | torch | 100 | 668× |
"""


def _new(text: str) -> str:
    return (text.replace("4.1× (4.0–4.3)", "4.2× (4.1–4.4)")     # ranges overlap: not moved
                .replace("3× (2.9–3.1)", "2× (1.9–2.2)")          # moved down
                .replace("57× (56–58)", "90× (85–91)")            # moved up
                .replace("0.71×", "0.72×")                        # no spread: any change counts
                .replace("| ungapped | torch | 100 | 668× |\n", ""))  # only in the old report


def test_parse_names_each_ratio_by_section_row_and_column():
    ratios = compare.parse(OLD)
    assert set(ratios) == {
        ("particle_filter: nanoseconds per particle-step", "1e+03", "particles / numba"),
        ("particle_filter: nanoseconds per particle-step", "1e+04", "particles / numba"),
        ("ga: one generation", "1,000", "DEAP / numba"),
        ("ga: one generation", "1,000", "EvoTorch / numba"),
        ("ga: one generation", "numba", "speed-up"),
        ("psiblast", "ungapped / numba", "× psiblast"),
        ("psiblast", "ungapped / torch", "× psiblast"),
    }
    r = ratios[("ga: one generation", "1,000", "DEAP / numba")]
    assert (r.value, r.lo, r.hi, r.spread) == (57.0, 56.0, 58.0, True)
    r = ratios[("ga: one generation", "numba", "speed-up")]
    assert (r.value, r.lo, r.hi, r.spread) == (0.71, 0.71, 0.71, False)


def test_moved_lists_exactly_the_ratios_outside_their_spread():
    old, new = compare.parse(OLD), compare.parse(_new(OLD))
    keys = {k for k, _, _ in compare.moved(old, new)}
    assert keys == {("particle_filter: nanoseconds per particle-step", "1e+04", "particles / numba"),
                    ("ga: one generation", "1,000", "DEAP / numba"),
                    ("ga: one generation", "numba", "speed-up")}
    assert compare.moved(old, compare.parse(OLD)) == []


def test_compare_command_on_two_reports(tmp_path, capsys):
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text(OLD)
    b.write_text(_new(OLD))
    assert main(["--compare", str(a), "--against", str(b)]) == 0
    out = capsys.readouterr().out
    assert "ga: one generation | 1,000 | DEAP / numba: 57× → 90×" in out
    assert "speed-up: 0.71× → 0.72× (1.01 of before) (no spread recorded)" in out
    assert "1e+03" not in out
    assert "6 ratios in both reports; 1 only in" in out


def test_spread_ratio_cells_round_trip_through_the_parser():
    cell = spread_ratio([2.0, 2.2, 3.0], [1.0, 1.0, 1.1])
    assert cell == "2× (2–2.2)"
    text = f"## s\n\n| N | a / b |\n|---|---|\n| 10 | {cell} |\n"
    r = compare.parse(text)[("s", "10", "a / b")]
    assert (r.lo, r.hi) == (2.0, 2.2)
    assert spread_ratio(np.nan, [1.0]) == "—"


def test_scaling_fit_recovers_a_power_law():
    n = np.array([1e3, 1e4, 1e5, 1e6])
    slope, intercept = scaling.fit(list(zip(n, 3e-9 * n ** 1.3)))
    assert slope == pytest.approx(1.3, abs=1e-9)
    assert intercept == pytest.approx(np.log10(3e-9), abs=1e-9)


def test_setup_peers_script_parses():
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "setup_peers.sh"
    subprocess.run(["bash", "-n", str(script)], check=True)


def test_peak_rss_sees_an_allocation_and_not_the_parents_memory():
    base, _, done = scaling.peak_rss([sys.executable, "-c", "import numpy"], 30)
    assert done and base < 200  # a fresh numpy interpreter, not this process's high-water mark
    code = "import numpy as np; a = np.ones(25_000_000); a += 1"  # 191 MiB touched
    rss, _, done = scaling.peak_rss([sys.executable, "-c", code], 30)
    assert done and 181 < rss - base < 241
    _, _, done = scaling.peak_rss([sys.executable, "-c", "import time; time.sleep(30)"], 0.5)
    assert not done


def test_quick_drift_report_with_its_scaling_figure(tmp_path, monkeypatch):
    for var, _ in peers.PEERS.values():
        monkeypatch.delenv(var, raising=False)
    out = tmp_path / "report.md"
    assert main(["--quick", "--section", "scaling", "--section", "drift", "--out", str(out)]) == 0
    text = out.read_text()
    assert text.index("## drift") < text.index("## Scaling")  # scaling runs last whatever the order given
    assert "not set up (benchmarks/setup_peers.sh)" in text
    assert "/.peers/" not in text and "/tmp" not in text
    assert (tmp_path / "benchmarks" / "scaling_drift.png").stat().st_size > 0
    assert "[drift](benchmarks/scaling_drift.png)" in text
    ratios = compare.parse(text)
    assert ("drift: generations per second", "Moran / 1e+03", "numpy / numba") in ratios
