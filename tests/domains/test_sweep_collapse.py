"""The bundled sweep scenarios name every kind of sweep, and the hard sweep collapses
the headline window (generic scenario checks: tests/test_scenarios.py)."""

from pathlib import Path

import collapsesim as cs

ROOT = Path(cs.__file__).parent / "scenarios"
SCENARIOS = sorted(ROOT.glob("sweep_*.yaml")) + sorted((ROOT / "full").glob("sweep_*.yaml"))


def test_bundled_scenarios_exist():
    names = {p.stem for p in SCENARIOS}
    assert {"sweep_hard", "sweep_soft_standing", "sweep_soft_recurrent", "sweep_partial",
            "sweep_bottleneck", "sweep_strong", "sweep_weak"} <= names


def test_hard_sweep_collapses_the_headline_window():
    res = cs.run(ROOT / "sweep_hard.yaml", replicates=1, set=["params.L=40000",
                                                               "params.windows=[0]"])
    assert res.summary["status"] == "completed"
    h = res.headline()
    assert h["relative_diversity"].iloc[-1] < 0.6 < h["relative_diversity"].iloc[0]
    d = res.metrics[(res.metrics["series"] == "domain") & (res.metrics["metric"] == "p")]
    assert d["value"].iloc[-1] == 1.0
