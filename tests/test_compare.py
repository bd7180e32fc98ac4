"""`compare`: headline curves aligned on the fraction of the run, figures and tables."""

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import collapsesim as cs
from collapsesim.cli import main
from collapsesim.comparison import GRID, compare, load_suite, mean_ci


def toy(name, **kw):
    d = {"domain": "toy", "name": name, "seed": 1, "steps": 40, "record_every": 4,
         "replicates": 4, "backend": "numpy", "params": {"N": 40, "K": 4}}
    d.update(kw)
    return d


def test_mean_ci_is_a_t_interval():
    m, lo, hi, n = mean_ci([1.0, 2.0, 3.0, None])
    assert (m, n) == (2.0, 3)
    assert hi - m == pytest.approx(4.302653 * 1.0 / np.sqrt(3), rel=1e-5)
    assert np.isnan(mean_ci([])[0])


def test_compare_aligns_and_tabulates(tmp_path, toy_domain):
    from collapsesim.comparison import Entry, headline_curves, save_comparison, summary_table, Comparison

    a = cs.execute(cs.load(toy("small", params={"N": 8, "K": 4})))
    b = cs.execute(cs.load(toy("large", params={"N": 400, "K": 4})))
    ca, cb = headline_curves(a, "small"), headline_curves(b, "large")
    assert len(ca) == 4 * GRID.size
    # x = 0 is the start: relative diversity 1 everywhere
    assert np.allclose(ca[ca["x"] == 0]["relative_diversity"], 1.0)
    entries = [Entry("s", "small", "collapsing"), Entry("l", "large", "remedied")]
    table = summary_table(entries, {"small": a, "large": b})
    assert list(table["scenario"]) == ["small", "large"]
    # a population of 8 drifts to one type much sooner than one of 400
    assert table.loc[0, "auc_mean"] < table.loc[1, "auc_mean"]
    assert table.loc[0, "collapsed_fraction"] == 1.0
    comp = Comparison(entries, {"small": a, "large": b}, pd.concat([ca, cb]), table)
    save_comparison(comp, tmp_path)
    for f in ("relative_diversity.png", "collapse_index.png", "comparison.csv", "comparison.md"):
        assert (tmp_path / f).stat().st_size > 0
    md = (tmp_path / "comparison.md").read_text()
    assert "| small | toy | collapsing | 4 | 100% |" in md


def test_early_stopped_runs_hold_their_last_value(toy_domain):
    from collapsesim.comparison import headline_curves

    r = cs.execute(cs.load(toy("tiny", steps=2000, record_every=500, params={"N": 4, "K": 2})))
    c = headline_curves(r, "tiny")
    end = c[c["x"] == 1.0]["relative_diversity"].to_numpy()
    assert np.allclose(end, 0.5)  # fixed: one of two types → 1/D1(reference) = 1/2


def test_compare_drift_scenarios_from_cli(tmp_path):
    out = tmp_path / "cmp"
    r = CliRunner().invoke(main, ["compare", "drift_neutral", "drift_selection", "--out", str(out),
                                  "--replicates", "2", "--set", "steps=200", "--quiet"])
    assert r.exit_code == 0, r.output
    t = pd.read_csv(out / "comparison.csv")
    assert list(t["scenario"]) == ["drift_neutral", "drift_selection"]
    assert (t["replicates"] == 2).all()
    assert (out / "runs" / "drift_neutral" / "metrics.parquet").exists()


def test_bundled_suite_lists_a_collapsing_and_a_remedied_config_per_domain():
    entries, reps = load_suite("collapse")
    domains = {cs.load(e.scenario).domain for e in entries}
    assert domains <= set(cs.available_domains())
    for d in domains:
        roles = {e.role for e in entries if cs.load(e.scenario).domain == d}
        assert {"collapsing", "remedied"} <= roles, d


def test_run_folders_are_safe_and_distinct():
    from collapsesim.comparison import run_folders

    f = run_folders(["../../escaped", "..", "/abs/x", "a b", "a_b", "A_B"])
    assert f["../../escaped"] == "escaped" and f[".."] == "run" and f["/abs/x"] == "abs_x"
    assert (f["a b"], f["a_b"], f["A_B"]) == ("a_b", "a_b-2", "A_B-3")
    assert all("/" not in n and not n.startswith(".") for n in f.values())


def test_compare_writes_only_inside_out_and_says_one_replicate_once(tmp_path, toy_domain,
                                                                       monkeypatch):
    import json
    import warnings

    sc = tmp_path / "toy.yaml"
    sc.write_text(json.dumps(toy("t", steps=8)))
    suite = tmp_path / "suite.yaml"
    suite.write_text(json.dumps({"scenarios": [{"scenario": str(sc), "label": "../../escaped"},
                                               {"scenario": str(sc), "label": ".."}]}))
    work = tmp_path / "work"
    (work / "deep").mkdir(parents=True)
    monkeypatch.chdir(work / "deep")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning may leak
        r = CliRunner().invoke(main, ["compare", "--suite", str(suite), "--out", "cmp",
                                      "--replicates", "1", "--quiet"])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (work / "deep" / "cmp" / "runs").iterdir()) == ["escaped", "run"]
    assert sorted(p.name for p in work.iterdir()) == ["deep"]  # nothing escaped
    notes = [line for line in r.output.splitlines() if "one replicate" in line]
    assert len(notes) == 1 and "../../escaped" in notes[0] and "Warning" not in r.output
