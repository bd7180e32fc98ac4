"""Parameters of the particle_filter domain: defaults, model choice, clear
errors for bad input, observations from a CSV file."""

import numpy as np
import pytest

import collapsesim as cs
from collapsesim.config import ConfigError, load
from collapsesim.domains.particle_filter.data import read_csv


def _scenario(**params):
    return {"domain": "particle_filter", "steps": 10, "record_every": 5, "backend": "numpy",
            "params": params}


def test_defaults_resolve_and_round_trip():
    cfg = load(_scenario())
    p = cfg.resolved()["params"]
    assert p["model"]["kind"] == "linear_gaussian" and p["N"] == 1000
    assert load(_scenario(**p)).resolved() == cfg.resolved()


@pytest.mark.parametrize("params, key, words", [
    ({"model": {"kind": "kalman"}}, "params.model", "linear_gaussian"),
    ({"model": {"kind": "growth", "sigma_x": -1}}, "params.model.sigma_x", "greater than 0"),
    ({"model": {"kind": "linear_gaussian", "rho": 1.0}}, "params", "|rho| < 1"),
    ({"model": {"kind": "linear_gaussian_mv", "A": [[1.0, 0.0]]}}, "params.model", "1×1 matrix"),
    ({"model": {"kind": "bearings"}, "filter": "guided"}, "params", "filter 'bootstrap'"),
    ({"filter": "auxiliary", "roughening": 0.1}, "params", "auxiliary"),
    ({"smoother": {"kind": "fixed_lag", "lag": 5}, "resample_move": 1}, "params", "fixed_lag"),
    ({"smoother": {"kind": "pgas", "sweeps": 5, "burn_in": 5}}, "params.smoother", "burn_in"),
    ({"scheme": "optimal"}, "params.scheme", "systematic"),
    ({"N": 1}, "params.N", "greater than or equal to 2"),
])
def test_bad_parameters_name_the_key(params, key, words):
    with pytest.raises(ConfigError) as err:
        load(_scenario(**params))
    msg = str(err.value)
    assert key in msg and words in msg, msg


def test_missing_csv_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError) as err:
        load(_scenario(observations=str(tmp_path / "nope.csv")))
    msg = str(err.value)
    assert "params.observations" in msg and "does not exist" in msg


@pytest.mark.parametrize("text, words", [
    ("y\n1.0\nabc\n", "numbers in every row"),
    ("1.0,2.0\n3.0,4.0\n", "1 column"),
    ("y\n0.5\n", "at least two rows"),
])
def test_malformed_csv_is_a_clear_error(tmp_path, text, words):
    f = tmp_path / "obs.csv"
    f.write_text(text)
    with pytest.raises(ConfigError) as err:
        load(_scenario(observations=str(f)))
    assert "params.observations" in str(err.value) and words in str(err.value)


def test_csv_observations_drive_the_filter_and_end_the_run(tmp_path):
    f = tmp_path / "obs.csv"
    f.write_text("y\n" + "\n".join(str(v) for v in np.sin(np.arange(8))) + "\n")
    assert read_csv(f, 1).shape == (8, 1)
    res = cs.run(_scenario(observations=str(f), N=50), steps=20)
    m = res.metrics
    assert m["step"].max() == 7  # 8 observations: times 0..7, then the data are exhausted
    assert "true_state" not in set(m["metric"])
    assert res.summary["status"] == "completed"


def test_two_dimensional_csv_for_two_observed_coordinates(tmp_path):
    f = tmp_path / "obs.csv"
    f.write_text("0.1,0.2\n0.3,0.1\n-0.2,0.0\n")
    model = {"kind": "linear_gaussian_mv", "A": [[0.5, 0.0], [0.0, 0.5]],
             "Q": [[1.0, 0.0], [0.0, 1.0]], "H": [[1.0, 0.0], [0.0, 1.0]],
             "R": [[1.0, 0.0], [0.0, 1.0]]}
    res = cs.run(_scenario(model=model, observations=str(f), N=20), steps=2)
    assert res.summary["status"] == "completed"
