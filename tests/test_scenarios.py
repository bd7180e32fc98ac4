"""Every bundled scenario, generated from the package's scenario folders: it
validates, names a registered domain and a backend that domain declares, and
(except the full-scale ones in ``scenarios/full/``, which are only validated)
runs two steps of one replicate, recording the headline series with the
shared metric. A new scenario is checked without writing a test."""

from __future__ import annotations

from pathlib import Path

import pytest

import collapsesim as cs
from collapsesim.config import load
from collapsesim.domains import BUILTIN
from collapsesim.metrics import SHARED_METRICS
from collapsesim.registry import get_domain

ROOT = Path(cs.__file__).parent / "scenarios"
SCENARIOS = sorted(ROOT.glob("*.yaml")) + sorted((ROOT / "full").glob("*.yaml"))


def test_every_domain_has_a_default_scenario():
    for name in BUILTIN:
        assert load(ROOT / f"{name}.yaml").domain == name


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_bundled_scenario(path):
    cfg = load(path)
    cls = get_domain(cfg.domain)
    assert cfg.backend in cls.backends
    if path.parent.name == "full":
        return  # full scale: validated only
    res = cs.run(path, steps=2, replicates=1, set=["record_every=1"])
    assert res.summary["status"] == "completed", res.summary["per_replicate"]
    m = res.metrics
    head = m[m["series"] == cls.headline]
    assert set(SHARED_METRICS) <= set(head["metric"])
    assert sorted(set(head["step"])) == [0, 1, 2]
