"""The bundled drift scenarios load, run, and the domain passes the
conformance suite."""

from pathlib import Path

import pytest

import collapsesim as cs
from collapsesim.config import load
from collapsesim.testing import check_domain

SCENARIOS = sorted((Path(cs.__file__).parent / "scenarios").glob("drift_*.yaml")) + sorted(
    (Path(cs.__file__).parent / "scenarios" / "full").glob("drift_*.yaml"))


def test_bundled_scenarios_exist():
    names = {p.stem for p in SCENARIOS}
    assert {"drift_neutral", "drift_selection", "drift_mutation"} <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.parent.name + "/" + p.stem)
def test_scenario_validates_and_runs_briefly(path):
    cfg = load(path)
    assert cfg.domain == "drift"
    res = cs.run(path, steps=30, replicates=2)
    m = res.metrics
    assert {"D1", "relative_diversity", "heterozygosity", "fixed"} <= set(m["metric"])
    first = m[(m["step"] == 0) & (m["metric"] == "relative_diversity") & (m["replicate"] == 0)]
    assert len(first) == 1


def test_conformance():
    check_domain("drift")
