"""Parameters of the sweep domain: validation names the key, conventions convert."""

import pytest

from collapsesim.config import ConfigError, load
from collapsesim.domains.sweep import conventions
from collapsesim.domains.sweep.params import SweepParams


def scenario(**params):
    return {"domain": "sweep", "steps": 10, "params": params}


@pytest.mark.parametrize("params, key, words", [
    ({"site": 300_000}, "params.site", "[0, L)"),
    ({"convention": "kimura", "h": 0.3}, "params.convention", "h = 0.5"),
    ({"mode": "recurrent"}, "params.mu_b", "mu_b > 0"),
    ({"windows": [0, 99_000]}, "params.windows", "inside"),
    ({"N": [{"generation": 5, "N": 100}]}, "params.N", "generation 0"),
    ({"N": [{"generation": 0, "N": 1}]}, "params.N", "N"),
    ({"N": 1}, "params.N", ">= 2"),
    ({"s": -1.5}, "params.s", "> -1"),
    ({"x0": 1.5}, "params.x0", "less than 1"),
    ({"ploidy": 3}, "params.ploidy", "1"),
    ({"sample_size": 1}, "params.sample_size", "2"),
])
def test_bad_params_name_the_key(params, key, words):
    with pytest.raises(ConfigError) as err:
        load(scenario(**params))
    assert key in str(err.value) and words in str(err.value)


def test_conventions_and_derived_values():
    p = SweepParams(N=100, s=0.05, convention="kimura")
    assert p.s_slim == pytest.approx(0.1)
    assert p.genotype_fitness() == pytest.approx([1.0, 1.05, 1.1])  # Kimura's 1 : 1+s : 1+2s
    h = SweepParams(N=100, s=0.2, h=0.25)
    assert h.genotype_fitness() == pytest.approx([1.0, 1.05, 1.2])
    assert SweepParams(N=100, ploidy=1, s=0.3).genotype_fitness() == pytest.approx([1.0, 1.3])
    assert conventions.slim_from_kimura(0.05) == pytest.approx(0.1)
    assert conventions.kimura_from_slim(0.1) == pytest.approx(0.05)
    assert conventions.discoal_alpha(1000, 0.1) == pytest.approx(100.0)  # alpha = 2N s_Kimura
    assert conventions.msprime_s(0.1) == 0.1
    assert conventions.sigma(0.1) == pytest.approx(0.05) and conventions.sigma(0.1, 1) == 0.1
    p = SweepParams(N=[{"generation": 0, "N": 500}, {"generation": 10, "N": 50}], L=1000,
                    windows=[0], window=100)
    assert p.size_at(9) == 500 and p.copies_at(10) == 100 and p.position == 500
    assert p.theta0() == pytest.approx(4 * 500 * p.mu)
    assert p.burn_in_generations == 5000


def test_round_trip():
    p = SweepParams(N=[{"generation": 0, "N": 500}, {"generation": 10, "N": 50}], mode="standing",
                    x0=0.1, standing="drift")
    assert SweepParams.model_validate(p.model_dump()) == p
