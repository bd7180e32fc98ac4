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


def test_mean_ci_is_a_reproducible_percentile_bootstrap_inside_the_values():
    m, lo, hi, n = mean_ci([1.0, 2.0, 3.0, None])
    assert (m, n) == (2.0, 3)
    assert 1.0 <= lo < m < hi <= 3.0
    assert mean_ci([1.0, 2.0, 3.0]) == (m, lo, hi, n)  # a fixed seed: the same interval again
    # two values: the resampled means are a, (a+b)/2, b with weights 1/4, 1/2, 1/4 → the range
    assert mean_ci([0.2, 0.6])[1:3] == pytest.approx((0.2, 0.6))
    assert np.isnan(mean_ci([])[0]) and np.isnan(mean_ci([0.5])[1])


def test_bootstrap_band_matches_the_normal_interval_and_covers():
    """For n = 50 normal values the percentile bootstrap half-width is about
    1.96·sd·√((n−1)/n)/√n (its Monte Carlo error with 2000 resamples is ~3 %),
    and over 300 samples of n = 30 it covers the true mean about 95 % of the
    time (binomial sd 1.3 %; the percentile bootstrap under-covers a little)."""
    from collapsesim.comparison import bootstrap_mean_band

    rng = np.random.default_rng(7)
    y = rng.normal(0.3, 2.0, size=(40, 50))
    _, lo, hi, n = bootstrap_mean_band(y)
    want = 1.959964 * y.std(axis=1, ddof=0) / np.sqrt(50)
    assert np.all(n == 50)
    assert np.median((hi - lo) / 2 / want) == pytest.approx(1.0, abs=0.05)
    y = rng.normal(0.3, 2.0, size=(300, 30))
    _, lo, hi, _ = bootstrap_mean_band(y)
    cover = np.mean((lo <= 0.3) & (0.3 <= hi))
    assert 0.89 <= cover <= 0.99


def _hand_result(domain, trajectories, steps, *, clock="generations", d1_ref=10.0):
    """A Result built by hand: ``trajectories`` are each replicate's headline
    relative diversity at ``steps``; D1 = d1_ref · rd, collapse index from it."""
    from collapsesim.results import Result, replicate_summaries

    rows = []
    for rep, traj in enumerate(trajectories):
        for step, rd in zip(steps, traj):
            d1 = d1_ref * rd
            ci = 1.0 - np.log(d1) / np.log(d1_ref) if d1 > 0 else 1.0
            for metric, v in (("D1", d1), ("relative_diversity", rd), ("collapse_index", ci)):
                rows.append({"replicate": rep, "series": "h", "step": step, "metric": metric,
                             "value": v})
    df = pd.DataFrame(rows)
    by_rep = replicate_summaries(df, 0.5)
    summary = {"scenario": domain, "domain": domain, "headline": "h", "clock": clock,
               "steps": int(steps[-1]), "replicates": len(trajectories),
               "per_replicate": [{"replicate": r, "series": by_rep[r]} for r in sorted(by_rep)]}
    return Result(df, summary, None)


def _hand_comparison(specs):
    """specs: (label, role, Result) → a Comparison as ``compare`` builds it."""
    from collapsesim.comparison import Comparison, Entry, headline_curves, summary_table

    entries = [Entry(label, label, role) for label, role, _ in specs]
    results = {label: r for label, _, r in specs}
    curves = pd.concat([headline_curves(r, label) for label, _, r in specs], ignore_index=True)
    return Comparison(entries, results, curves, summary_table(entries, results))


def test_max_collapse_index_on_a_hand_made_result():
    # replicate 0 falls to rd 0.1 (collapse index 1) and recovers to 0.5; replicate 1 to 0.316...
    steps = [0, 10, 20, 30]
    r = _hand_result("x", [[1.0, 0.5, 0.1, 0.5], [1.0, 0.8, 10 ** -0.5, 0.9]], steps)
    per = [p["series"]["h"] for p in r.summary["per_replicate"]]
    assert "min_collapse_index" not in per[0]
    assert per[0]["max_collapse_index"] == pytest.approx(1.0)
    assert per[1]["max_collapse_index"] == pytest.approx(0.5)
    assert per[0]["final_collapse_index"] == pytest.approx(1 - np.log10(5.0))
    t = _hand_comparison([("x", "collapsing", r)]).table
    assert t.loc[0, "max_collapse_index_mean"] == pytest.approx(0.75)
    assert (t.loc[0, "max_collapse_index_lo"], t.loc[0, "max_collapse_index_hi"]) == \
        pytest.approx((0.5, 1.0))
    assert t.loc[0, "final_collapse_index_mean"] < t.loc[0, "max_collapse_index_mean"]
    assert "max collapse index" in __import__("collapsesim.comparison", fromlist=["x"]) \
        .table_markdown(t)


def _three_domains():
    steps = list(range(0, 50, 5))
    fast = [[max(0.0, 1 - 0.2 * i - 0.02 * k) for i in range(10)] for k in range(4)]
    slow = [[1 - 0.03 * i * (1 + 0.1 * k) for i in range(10)] for k in range(4)]
    # near the bounds: one replicate stays at 1, one falls to a single type (rd = 1/D1(ref)
    # = 0.1, collapse index 1) — a t-band would leave [0, 1]
    edge = [[1.0] * 10, [1.0] + [0.1] * 9, [1.0] + [0.97] * 9]
    return _hand_comparison([
        ("a: collapsing", "collapsing", _hand_result("alpha", fast, steps)),
        ("a: remedied", "remedied", _hand_result("alpha", slow, steps)),
        ("b: collapsing", "collapsing", _hand_result("beta", edge, [s * 3 for s in steps],
                                                      clock="iterations")),
        ("b: remedied", "remedied", _hand_result("beta", slow, steps)),
        ("c: alone", "", _hand_result("gamma", slow, steps)),
    ])


def test_figure_has_one_axes_per_domain_solid_collapsing_dashed_remedied():
    import matplotlib.pyplot as plt

    comp = _three_domains()
    for metric in ("relative_diversity", "collapse_index"):
        fig = comp.figure(metric)
        try:
            assert [ax.get_title() for ax in fig.axes] == ["alpha", "beta", "gamma"]
            styles = {ln.get_label().split(" (n=")[0]: ln.get_linestyle()
                      for ax in fig.axes for ln in ax.get_lines()
                      if not ln.get_label().startswith("_")}
            assert styles == {"a: collapsing": "-", "a: remedied": "--", "b: collapsing": "-",
                              "b: remedied": "--", "c: alone": "-"}
            assert len({ax.get_ylim() for ax in fig.axes}) == 1  # shared y axis
        finally:
            plt.close(fig)
    fig = comp.figure(axis="clock")  # each domain on its own clock
    assert [ax.get_xlabel() for ax in fig.axes] == ["step (generations)", "step (iterations)",
                                                   "step (generations)"]
    assert max(fig.axes[1].get_lines()[0].get_xdata()) == pytest.approx(135)
    plt.close(fig)
    fig = comp.figure(overlay=True)
    assert len(fig.axes) == 1 and len([ln for ln in fig.axes[0].get_lines()
                                       if not ln.get_label().startswith("_")]) == 5
    plt.close(fig)


def test_bands_stay_inside_zero_one():
    import matplotlib.pyplot as plt

    from collapsesim.comparison import bootstrap_mean_band

    comp = _three_domains()
    d = comp.curves[comp.curves["label"] == "b: collapsing"]
    y = d.pivot_table(index="x", columns="replicate", values="relative_diversity").to_numpy()
    m, lo, hi, _ = bootstrap_mean_band(y)
    t_half = 4.302653 * y.std(axis=1, ddof=1) / np.sqrt(3)
    assert (m - t_half).min() < 0  # the t-interval this replaces leaves [0, 1] here
    assert lo.min() >= 0 and hi.max() <= 1 and np.all(lo <= m) and np.all(m <= hi)
    for metric in ("relative_diversity", "collapse_index"):
        for overlay in (False, True):
            fig = comp.figure(metric, overlay=overlay)
            bands = [p.vertices[:, 1] for ax in fig.axes for c in ax.collections
                     for p in c.get_paths()]
            plt.close(fig)
            assert len(bands) == 5
            y = np.concatenate(bands)
            assert y.min() >= 0.0 and y.max() <= 1.0, (metric, overlay)


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
    save_comparison(comp, tmp_path / "overlay", overlay=True)
    assert (tmp_path / "overlay" / "relative_diversity.png").stat().st_size > 0


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


def test_compare_overlay_flag_draws_one_panel(tmp_path):
    import matplotlib.image as mpimg

    figs = {}
    for flag in ([], ["--overlay"]):
        out = tmp_path / ("overlay" if flag else "panels")
        r = CliRunner().invoke(main, ["compare", "drift_neutral", "beam", "--out", str(out),
                                      "--replicates", "2", "--set", "steps=20", "--quiet", *flag])
        assert r.exit_code == 0, r.output
        figs[bool(flag)] = mpimg.imread(out / "relative_diversity.png").shape
    assert figs[True] != figs[False]  # one panel is drawn at another size than two


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
