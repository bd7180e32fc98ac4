"""The CEC'2013 suite reproduction (collapsesim.reproductions.ga): a batch over
problems × runs, scored officially, resumable; and the page's protocols at
reduced size."""

import time
from pathlib import Path

import numpy as np
import pytest

from collapsesim.problems import cec2013
from collapsesim.reproductions import _PROTOCOLS
from collapsesim.reproductions.ga import (
    SUBMISSION_ENV,
    run_suite,
    suite_dir,
    suite_table,
    summarise,
    write,
)
from collapsesim.reproductions.hikers import page as hikers_page


def test_protocols_are_registered():
    # the registry itself (importing every reproduction module is the harness's test)
    assert {n for d, n in _PROTOCOLS if d == "ga"} == {"page", "cec2013", "cec2013-full"}
    assert [n for d, n in _PROTOCOLS if d == "hikers"] == ["page"]
    assert _PROTOCOLS["ga", "page"].default and _PROTOCOLS["hikers", "page"].default


def test_suite_runs_as_a_resumable_batch_and_draws_its_section(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the suite's batch lives under runs/ of the working directory
    d = suite_dir("nbc-cma", 7)
    rows = run_suite(d, runs=1, problems=[2, 3], seed=7, workers=1)
    assert sorted(r["problem"] for r in rows) == [2, 3]
    assert {r["problem"]: r["counts"] for r in rows} == {2: [5] * 5, 3: [1] * 5}
    assert all(r["evaluations"] <= cec2013(r["problem"]).max_fes for r in rows)
    files = sorted(p.name for p in d.glob("cells/*/*.parquet"))
    assert run_suite(d, runs=1, problems=[2, 3], seed=7, workers=1) == rows  # resumed, nothing re-run
    assert sorted(p.name for p in d.glob("cells/*/*.parquet")) == files
    monkeypatch.delenv(SUBMISSION_ENV, raising=False)
    page = write(tmp_path / "out", seed=1, backend="numpy", protocol_name="cec2013",
                 started=time.perf_counter(), suite_runs=1, suite_seed=7, quick=True).read_text()
    assert "| F2 | 1 | 5 | 50,000 | 1.000" in page and "published values" in page
    assert "**1 runs per problem** (2 runs, seed 7" in page and "spawn_key=(h_c, j)" in page
    assert (tmp_path / "out" / "figures" / "ga_cec2013_pr.png").exists()


def test_summary_and_table():
    rows = [{"problem": 4, "counts": [4, 4, 4, 3, 2]}, {"problem": 4, "counts": [4, 4, 4, 4, 4]}]
    s = summarise(rows)
    np.testing.assert_allclose(s["problems"][4]["peak_ratio"], [1, 1, 1, 7 / 8, 6 / 8])
    np.testing.assert_allclose(s["problems"][4]["success_rate"], [1, 1, 1, 0.5, 0.5])
    np.testing.assert_allclose(s["problems"][4]["run_peak_ratio_1e-4"], [3 / 4, 1])
    assert not s["complete"] and s["mean_peak_ratio"] == pytest.approx(np.mean([1, 1, 1, 7 / 8, 6 / 8]))
    # per-run PR averaged over accuracies: 0.85 and 1; SE = sd / sqrt(2), one problem
    assert s["mean_peak_ratio_se"] == pytest.approx(np.std([0.85, 1.0], ddof=1) / np.sqrt(2))
    md = suite_table(s)
    assert "| F4 | 2 | 4 | 50,000 | 1.000 | 1.000 | 1.000 | 0.875 | 0.750 | 0.50 |" in md


def test_pages_at_reduced_size(tmp_path):
    """The ga page's generator at its quick size: the header and every section of
    the page, the takeover row computed (400 replicates) and agreeing with the
    reference; the hikers page at 5 % of its takeover study."""
    ga = write(tmp_path, seed=1, backend="numpy", protocol_name=None, started=time.perf_counter(),
               suite_runs=None, quick=True).read_text()
    assert "collapsesim reproduce ga" in ga and "- **`hikers`**" in ga
    for title in ["The CEC'2013 niching suite and its official scorer", "Theory reproduced",
                  "The CEC'2013 suite with NBC-CMA", "Speed", "Modelling choices"]:
        assert title in ga, title
    row = next(line for line in ga.splitlines() if line.startswith("| takeover, binary tournament"))
    assert "of 400 reps survived" in row and row.endswith("mean within 3 SE: yes |")
    assert "Not run here" in ga and "References:" in ga
    hk = hikers_page(tmp_path, seed=1, backend="numpy", scale=0.05).read_text()
    assert "collapsesim reproduce hikers" in hk and hk.count("| yes |") == 2


@pytest.mark.slow
@pytest.mark.parametrize("problem,target", [(1, 1.0), (2, 1.0), (3, 1.0), (4, 1.0), (5, 1.0), (6, 0.9), (7, 0.9)])
def test_nbc_cma_meets_the_issue_targets(problem, target, tmp_path):
    """PR ≥ 0.99 on F1–F5 and ≥ 0.9 on F6, F7 at ε = 1e-4, official MaxFEs (two runs each)."""
    for row in run_suite(tmp_path, runs=2, problems=[problem], seed=99, workers=1):
        assert row["counts"][3] / cec2013(problem).n_optima >= target


def test_reproduce_work_folder_holds_the_runs_and_is_restored(tmp_path, monkeypatch):
    """``collapsesim reproduce --work DIR``: a protocol's resumable runs go under
    DIR for that call only; afterwards the default (``runs``) is back."""
    from collapsesim import reproductions as rp
    from collapsesim.reproductions import harness

    seen = {}

    @rp.protocol("worktest", "page", default=True, description="records the work folder")
    def _page(out, *, seed, backend):
        seen["suite"] = suite_dir("nbc-cma", seed)
        page = out / "worktest.md"
        page.write_text("ok\n")
        return page

    try:
        page = rp.reproduce("worktest", out=tmp_path / "out", seed=3, work=tmp_path / "w")
        assert page.read_text() == "ok\n"
        assert seen["suite"] == tmp_path / "w" / "cec2013-nbc-cma-seed3"
        assert harness.work_dir() == Path("runs")
    finally:
        rp._PROTOCOLS.pop(("worktest", "page"), None)
