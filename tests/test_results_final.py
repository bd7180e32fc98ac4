"""``Result.final``: each replicate's last recorded values of one series, read
from the runner's column chunks without the tidy table, against the same
values taken from the tidy table with pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import collapsesim as cs
from collapsesim.results import Records, Result


def _from_table(df: pd.DataFrame, series: str) -> pd.DataFrame:
    """The definition on the tidy table: per replicate, the row of the highest
    step of every metric of ``series`` (the later row on a tie)."""
    d = df[df["series"] == series].reset_index(drop=True)
    d = d.sort_values("step", kind="stable")
    last = d.groupby(["replicate", "metric"], sort=False).tail(1)
    wide = last.pivot(index="replicate", columns="metric", values="value")
    wide.columns = list(wide.columns)
    wide.insert(0, "step", d.groupby("replicate")["step"].max())
    return wide.sort_index()


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.index) == list(want.index)
    assert set(got.columns) == set(want.columns) and got.columns[0] == "step"
    pd.testing.assert_frame_equal(got[list(want.columns)], want, check_names=False,
                                  check_dtype=False, check_index_type=False, rtol=0, atol=0)


# drift: replicates end at their own fixation step (stacked observations, one
# chunk per metric); particle_filter: lone observations as row lists, a domain
# metric recorded only at some steps
RUNS = [("drift_fixation", {"replicates": 40, "steps": 2000, "set": ["record_every=2000"]}),
        ("drift_neutral", {"replicates": 3, "steps": 30, "set": ["record_every=7"]}),
        ("particle_filter", {"replicates": 2, "steps": 20, "set": ["record_every=5"]})]


@pytest.mark.parametrize(("scenario", "kw"), RUNS, ids=[r[0] for r in RUNS])
def test_final_equals_the_tables_last_values(scenario, kw):
    res = cs.run(scenario, **kw)
    series = sorted(set(res.metrics["series"]))
    for s in series:
        _same(res.final(s), _from_table(res.metrics, s))
    again = Result(metrics=res.metrics, summary={"headline": res.headline_series})
    for s in series:  # the same from a table (a Result made from a DataFrame)
        _same(again.final(s), _from_table(res.metrics, s))
    assert list(res.final().columns[1:]) == list(res.final(res.headline_series).columns[1:])


def test_fixation_study_reads_outcomes_without_the_table():
    res = cs.run("drift_fixation", replicates=60, steps=5000, set=["record_every=5000"])
    out = res.final("domain")
    assert res._metrics is None  # final() did not make the tidy table
    assert len(out) == 60 and out["fixed"].eq(1.0).all()
    assert (out["step"] == out["fixation_generation"]).all()


def test_out_of_order_rows_and_repeats():
    df = pd.DataFrame({"replicate": [0, 0, 0, 1, 0], "step": [10, 0, 5, 0, 10],
                       "series": ["s"] * 5, "metric": ["a", "a", "a", "a", "a"],
                       "value": [3.0, 1.0, 2.0, 9.0, 4.0]})
    got = Records.from_table(df).final("s")
    assert got.loc[0, "a"] == 4.0 and got.loc[0, "step"] == 10  # step 10's later row
    assert got.loc[1, "a"] == 9.0 and got.loc[1, "step"] == 0


def test_unknown_series_names_the_recorded_ones():
    res = cs.run("drift_neutral", replicates=1, steps=5)
    with pytest.raises(KeyError, match=r"no series 'nope' was recorded; recorded: domain, types"):
        res.final("nope")


def test_fixation_scenario_agrees_with_kimura():
    """The bundled fixation study: a new neutral copy in N = 100 fixes with
    probability 1/N (Kimura 1962); 2,000 replicates, a 4-standard-error band."""
    R, N = 2000, 100
    out = cs.run("drift_fixation", replicates=R).final("domain")
    p = (out["fixed_type"] == 0).mean()
    se = np.sqrt((1 / N) * (1 - 1 / N) / R)
    assert abs(p - 1 / N) < 4 * se, p
