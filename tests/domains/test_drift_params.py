"""Parameter validation of the drift domain."""

import numpy as np
import pytest
from pydantic import ValidationError

from collapsesim.domains.drift import DriftParams


@pytest.mark.parametrize("kw, field, words", [
    ({"N": -5}, "N", "integer >= 2"),
    ({"N": "abc"}, "N", "integer >= 2"),
    ({"N": [{"generation": 5, "N": 10}]}, "N", "generation 0"),
    ({"N": [{"generation": 0, "N": 1}]}, "N", "epoch 0.N"),
    ({"N": [{"generation": 0, "N": 10}, {"generation": 0, "N": 20}]}, "N", "increasing"),
    ({"K": 0}, "K", "greater than or equal to 1"),
    ({"K": 3, "initial_counts": [1, 2]}, "initial_counts", "K = 3"),
    ({"N": 10, "initial_counts": [1, 2]}, "initial_counts", "initial N = 10"),
    ({"N": 10, "initial_counts": [-1, 11]}, "initial_counts", ">= 0"),
    ({"N": 10, "initial_counts": [5, 5], "initial_frequencies": [0.5, 0.5]},
     "initial_frequencies", "not both"),
    ({"initial_frequencies": [0.5, 0.6]}, "initial_frequencies", "sum"),
    ({"s": -1}, "s", "> -1"),
    ({"K": 2, "s": [0.1]}, "s", "K = 2"),
    ({"mu": 1.5}, "mu", "less than or equal to 1"),
    ({"K": 1, "mu": 0.1}, "mutation", "K >= 2"),
    ({"mutation": "infinite"}, "mutation", "mu > 0"),
    ({"model": "moron"}, "model", "moran"),
    ({"no_such_key": 1}, "no_such_key", "Extra"),
])
def test_bad_params_name_the_key(kw, field, words):
    with pytest.raises(ValidationError) as info:
        DriftParams(**kw)
    errors = info.value.errors()
    assert [e["loc"] for e in errors] == [(field,)]
    assert words in errors[0]["msg"]


def test_initial_population_rounding():
    assert DriftParams(N=10, K=3).initial_population().tolist() == [4, 3, 3]
    assert DriftParams(N=10, initial_frequencies=[0.15, 0.85]).initial_population().tolist() == [
        2, 8]
    assert DriftParams(N=10, K=3, initial_frequencies=[0.26, 0.26, 0.48]
                       ).initial_population().sum() == 10
    assert DriftParams(N=10, initial_counts=[3, 7]).initial_population().tolist() == [3, 7]


def test_fitness_epochs_theta_and_round_trip():
    p = DriftParams(N=[{"generation": 0, "N": 100}, {"generation": 50, "N": 10}], K=3,
                    s=[0.1, 0.0, -0.2], mu=0.01, mutation="infinite")
    assert [p.size_at(g) for g in (0, 49, 50, 10**6)] == [100, 100, 10, 10]
    np.testing.assert_allclose(p.fitness(), [1.1, 1.0, 0.8])
    np.testing.assert_allclose(DriftParams(K=3, s=0.5).fitness(), [1.5, 1.0, 1.0])
    assert p.theta(0) == pytest.approx(2.0) and p.theta(60) == pytest.approx(0.2)
    assert DriftParams(N=100, mu=0.01, model="moran").theta(0) == pytest.approx(1.0)
    assert DriftParams(**p.model_dump(mode="json")) == p
