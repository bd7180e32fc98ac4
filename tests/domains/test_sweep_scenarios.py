"""The bundled sweep scenarios load and run through the runner."""

from pathlib import Path

import pytest

import collapsesim as cs
from collapsesim.config import load

ROOT = Path(cs.__file__).parent / "scenarios"
SCENARIOS = sorted(ROOT.glob("sweep_*.yaml")) + sorted((ROOT / "full").glob("sweep_*.yaml"))


def test_bundled_scenarios_exist():
    names = {p.stem for p in SCENARIOS}
    assert {"sweep_hard", "sweep_soft_standing", "sweep_soft_recurrent", "sweep_partial",
            "sweep_bottleneck", "sweep_strong", "sweep_weak"} <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.parent.name + "/" + p.stem)
def test_scenario_validates_and_runs_briefly(path):
    cfg = load(path)
    assert cfg.domain == "sweep"
    if path.parent.name == "full":
        return  # N = 10^4: validated only
    res = cs.run(path, steps=3, replicates=1, set=["record_every=3"])
    m = res.metrics
    assert {"D1", "relative_diversity", "collapse_index", "p", "H12"} <= set(m["metric"])
    assert {"window_0", "origins", "domain"} <= set(m["series"])


def test_hard_sweep_collapses_the_headline_window():
    res = cs.run(ROOT / "sweep_hard.yaml", replicates=1, set=["params.L=40000",
                                                               "params.windows=[0]"])
    assert res.summary["status"] == "completed"
    h = res.headline()
    assert h["relative_diversity"].iloc[-1] < 0.6 < h["relative_diversity"].iloc[0]
    d = res.metrics[(res.metrics["series"] == "domain") & (res.metrics["metric"] == "p")]
    assert d["value"].iloc[-1] == 1.0
