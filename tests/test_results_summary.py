"""Per-replicate summaries computed in one grouped pass (results.replicate_summaries)
against the definition applied to each replicate's rows on its own."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from collapsesim.metrics import summarize_series
from collapsesim.results import replicate_summaries


def _rows(rep, series, metric, steps, values):
    return [{"replicate": rep, "series": series, "metric": metric, "step": s, "value": v}
            for s, v in zip(steps, values)]


def _frame():
    rows = []
    # replicate 1 is recorded first, its series out of alphabetical order
    rows += _rows(1, "weights", "D1", [0, 5, 10], [4.0, 2.0, 1.0])
    rows += _rows(1, "weights", "relative_diversity", [0, 5, 10], [1.0, 0.5, 0.25])
    rows += _rows(1, "domain", "ess", [0, 5, 10], [10.0, np.nan, np.nan])  # final non-missing value: 10
    rows += _rows(0, "ancestors", "D1", [10, 0, 5], [1.5, 3.0, 2.0])  # steps out of order
    rows += _rows(0, "ancestors", "relative_diversity", [10, 0, 5], [0.5, 1.0, 0.66])
    rows += _rows(0, "ancestors", "D1", [10], [1.25])  # recorded again at step 10: the last one counts
    rows += _rows(0, "domain", "zeta", [0], [7.0])
    rows += _rows(0, "domain", "alpha", [0, 10], [1.0, 2.0])
    return pd.DataFrame(rows).astype({"series": "string", "metric": "string"})


def test_one_pass_equals_the_definition():
    df = _frame()
    got = replicate_summaries(df, threshold=0.6)
    assert set(got) == {0, 1}
    assert list(got[1]) == ["weights", "domain"] and list(got[0]) == ["ancestors", "domain"]
    assert got[1]["domain"] == {"final_ess": 10.0}
    # domain metrics of replicate 0 only, alphabetical, final values; none from replicate 1
    assert got[0]["domain"] == {"final_alpha": 2.0, "final_zeta": 7.0}
    steps = np.array([0, 5, 10])
    want = summarize_series(steps, {"D1": np.array([3.0, 2.0, 1.25]),
                                    "relative_diversity": np.array([1.0, 0.66, 0.5])}, 0.6)
    assert got[0]["ancestors"] == want
    assert want["collapse_step"] == 10 and want["final_D1"] == 1.25
    w = got[1]["weights"]
    assert w["collapse_step"] == 5 and w["min_D1"] == 1.0 and math.isclose(w["auc"], want_auc(steps))


def want_auc(steps):
    rd = np.array([1.0, 0.5, 0.25])
    return float(np.trapezoid(rd, steps) / (steps[-1] - steps[0]))


def test_empty_frame():
    assert replicate_summaries(_frame().iloc[:0], 0.5) == {}


def test_collapse_index_is_summarised_by_its_maximum():
    """The deepest collapse of the run, not the minimum (0 at step 0, or below it
    while more diverse than the reference)."""
    rows = _rows(0, "h", "collapse_index", [0, 5, 10, 15], [0.0, -0.2, 0.9, 0.4])
    rows += _rows(0, "h", "relative_diversity", [0, 5, 10, 15], [1.0, 1.2, 0.3, 0.6])
    rows += _rows(1, "h", "collapse_index", [0, 5], [0.0, np.nan])
    got = replicate_summaries(pd.DataFrame(rows), threshold=0.5)
    assert got[0]["h"]["max_collapse_index"] == 0.9 and got[0]["h"]["final_collapse_index"] == 0.4
    assert "min_collapse_index" not in got[0]["h"]
    assert got[0]["h"]["min_relative_diversity"] == 0.3  # the other metrics keep their minimum
    assert got[1]["h"]["max_collapse_index"] == 0.0 and got[1]["h"]["final_collapse_index"] is None


def test_summary_json_is_the_summary_with_one_line_per_replicate():
    import json

    import collapsesim as cs
    from collapsesim.results import summary_json

    summary = cs.run("drift_neutral", replicates=3, steps=20).summary
    text = summary_json(summary)
    assert json.loads(text) == json.loads(json.dumps(summary))
    lines = text.splitlines()
    assert sum(line.startswith('    {"replicate": ') for line in lines) == 3


def test_summaries_from_the_records_codes_equal_those_from_the_table():
    """The runner summarises its records (integer codes, never the table's
    strings); the same rows as a tidy table give the same summaries, in the same
    order of replicates, series and keys."""
    from collapsesim.results import Records

    df = _frame()
    records = Records.from_table(df)
    got, want = replicate_summaries(records, 0.6), replicate_summaries(df, 0.6)
    assert got == want
    assert list(got) == list(want) and all(list(got[r]) == list(want[r]) for r in want)
    assert [list(s) for r in want for s in want[r].values()] == \
        [list(s) for r in got for s in got[r].values()]


def test_aggregate_leaves_out_missing_values_per_key():
    """n, mean, sd and se over the replicates that have a value (None: not finite
    or never recorded); a replicate without the key counts for the fraction
    that collapsed as one that did not."""
    from collapsesim.results import aggregate

    per_rep = [{"series": {"h": {"collapse_step": 10, "final_D1": 2.0}}},
               {"series": {"h": {"collapse_step": None, "final_D1": 4.0}}},
               {"series": {"h": {"final_D1": 9.0}, "domain": {"final_x": 1.0}}}]
    agg = aggregate(per_rep)
    d1 = np.array([2.0, 4.0, 9.0])
    assert agg["h"]["final_D1"] == {"n": 3, "mean": d1.mean(), "sd": d1.std(ddof=1),
                                    "se": d1.std(ddof=1) / math.sqrt(3)}
    assert agg["h"]["collapse_step"] == {"n": 1, "mean": 10.0, "sd": None, "se": None,
                                         "fraction_collapsed": 1 / 3}
    assert agg["domain"]["final_x"] == {"n": 1, "mean": 1.0, "sd": None, "se": None}
    assert list(agg) == ["domain", "h"] and list(agg["h"]) == ["collapse_step", "final_D1"]
