"""The runner: tidy output, seeds per replicate, early stop, divergence, the run directory."""

import json

import numpy as np
import pandas as pd
import pytest

import collapsesim as cs
from collapsesim.metrics import SHARED_METRICS
from collapsesim.testing import check_domain

COLUMNS = ["run_id", "scenario", "domain", "seed", "replicate", "step", "series", "metric", "value"]


def scenario(**kw):
    d = {"domain": "toy", "name": "toy-run", "seed": 3, "steps": 30, "record_every": 5,
         "replicates": 3, "backend": "numpy", "params": {"N": 60, "K": 3}}
    d.update(kw)
    return d


def test_tidy_metrics_and_summary(toy_domain):
    res = cs.run(scenario())
    assert isinstance(res, cs.Result)
    m = res.metrics
    assert list(m.columns) == COLUMNS
    assert set(m["replicate"]) == {0, 1, 2}
    for s in ("types", "scalar"):
        assert set(SHARED_METRICS) <= set(m.loc[m["series"] == s, "metric"])
    assert set(m.loc[m["series"] == "domain", "metric"]) == {"max_freq"}
    first = m[(m["step"] == 0) & (m["series"] == "types") & (m["metric"] == "relative_diversity")]
    assert np.allclose(first["value"], 1.0)
    scalar_cov = m[(m["series"] == "scalar") & (m["metric"] == "coverage")]["value"]
    assert scalar_cov.isna().all()  # coverage is null for a scalar reference
    s = res.summary
    assert s["headline"] == "types" and s["status"] == "completed"
    assert len(s["per_replicate"]) == 3
    assert "collapse_step" in s["per_replicate"][0]["series"]["types"]
    assert s["aggregate"]["types"]["final_D1"]["n"] == 3


def test_same_seed_same_metrics_and_replicates_differ(toy_domain):
    a = cs.run(scenario()).metrics
    b = cs.run(scenario()).metrics
    pd.testing.assert_frame_equal(a, b)
    v = a[(a["series"] == "types") & (a["metric"] == "D1")].pivot(index="step", columns="replicate",
                                                                   values="value")
    assert not np.allclose(v[0], v[1])
    c = cs.run(scenario(seed=4)).metrics
    assert not a["value"].equals(c["value"])


def test_replicate_seed_is_spawn_key_j(toy_domain):
    from collapsesim.runner import execute

    full = cs.run(scenario()).metrics
    alone = execute(cs.load(scenario()), spawn_keys=[(2,)]).metrics
    np.testing.assert_array_equal(full[full["replicate"] == 2]["value"].to_numpy(),
                                  alone["value"].to_numpy())


def test_finished_stops_early_with_a_final_record(toy_domain):
    res = cs.run(scenario(steps=5000, record_every=1000, params={"N": 4, "K": 2}))
    for rep in res.summary["per_replicate"]:
        assert rep["steps_run"] < 5000 and rep["status"] == "completed"
    last = res.metrics.groupby("replicate")["step"].max()
    assert (last < 5000).all() and (last % 1000 != 0).any()


def test_divergence_stops_cleanly_and_keeps_records(toy_domain):
    res = cs.run(scenario(params={"diverge_at": 12}))
    assert res.summary["status"] == "diverged"
    rep = res.summary["per_replicate"][0]
    assert rep["status"] == "diverged" and "step 12" in rep["message"] and "NaN" in rep["message"]
    assert res.metrics["step"].max() == 10


def test_run_directory(tmp_path, toy_domain):
    out = tmp_path / "run"
    res = cs.run(scenario(), out=out)
    for f in ("metrics.parquet", "summary.json", "config.yaml", "diversity.png"):
        assert (out / f).stat().st_size > 0
    back = pd.read_parquet(out / "metrics.parquet")
    assert list(back.columns) == COLUMNS and len(back) == len(res.metrics)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["provenance"]["numpy"] == np.__version__
    again = cs.run(str(out / "config.yaml"))
    np.testing.assert_array_equal(again.metrics["value"].to_numpy(), res.metrics["value"].to_numpy())


@pytest.mark.parametrize("backend", ["numpy", "numba", "torch"])
def test_toy_domain_passes_conformance(toy_domain, backend):
    check_domain("toy", backends=[backend])
