"""Scenario validation: every error names the file, line and key path, with a
'did you mean' for misspelt keys; --set overrides; resolved configs round-trip."""

import textwrap

import pytest
import yaml

from collapsesim.config import ConfigError, dump, load


def write(tmp_path, text, name="s.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def test_valid_scenario_loads_with_defaults(tmp_path, toy_domain):
    cfg = load(write(tmp_path, """
        domain: toy
        steps: 10
        params: {N: 20}
    """))
    assert cfg.params.N == 20 and cfg.params.K == 5
    assert cfg.name == "s" and cfg.seed == 0 and cfg.backend == "numba" and cfg.replicates == 1


def test_misspelt_key_is_named_with_suggestion_and_line(tmp_path, toy_domain):
    p = write(tmp_path, """
        domain: toy
        stesp: 10
    """)
    with pytest.raises(ConfigError) as exc:
        load(p)
    msg = str(exc.value)
    assert f"{p}:3: stesp: unknown key 'stesp'; did you mean 'steps'?" in msg
    assert "steps: missing required key" in msg


def test_nested_param_errors_name_the_key_path(tmp_path, toy_domain):
    p = write(tmp_path, """
        domain: toy
        steps: 10
        params:
          N: -5
          KK: 3
    """)
    with pytest.raises(ConfigError) as exc:
        load(p)
    lines = str(exc.value).splitlines()
    assert any(l.startswith(f"{p}:5: params.N: expected input should be greater than 0; got -5")
               for l in lines), lines
    assert any(f"{p}:6: params.KK: unknown key 'KK'; did you mean 'K'?" in l for l in lines), lines


def test_unknown_domain_and_not_yaml(tmp_path, toy_domain):
    with pytest.raises(ConfigError, match=r"s.yaml:2: domain: unknown domain 'tyo' \(did you mean 'toy'\?\)"):
        load(write(tmp_path, """
            domain: tyo
            steps: 3
        """))
    with pytest.raises(ConfigError, match=r"bad.yaml:\d+: not valid YAML"):
        load(write(tmp_path, "domain: [toy\n", "bad.yaml"))
    with pytest.raises(ConfigError, match="expected a mapping"):
        load(write(tmp_path, "- 1\n- 2\n", "list.yaml"))
    with pytest.raises(ConfigError, match="no such file or bundled scenario"):
        load(tmp_path / "missing.yaml")


def test_wrong_types_and_backend_device_rules(tmp_path, toy_domain):
    with pytest.raises(ConfigError, match=r"steps: expected input should be a valid integer"):
        load(write(tmp_path, "domain: toy\nsteps: many\n"))
    with pytest.raises(ConfigError, match=r"backend: expected input should be 'numpy', 'numba' or 'torch'"):
        load(write(tmp_path, "domain: toy\nsteps: 3\nbackend: jax\n"))
    with pytest.raises(ConfigError, match="device 'cuda' needs backend 'torch'"):
        load(write(tmp_path, "domain: toy\nsteps: 3\nbackend: numpy\ndevice: cuda\n"))


def test_set_overrides_and_their_errors(tmp_path, toy_domain):
    p = write(tmp_path, "domain: toy\nsteps: 3\n")
    cfg = load(p, ["params.N=30", "seed=7", "steps=9"])
    assert (cfg.params.N, cfg.seed, cfg.steps) == (30, 7, 9)
    with pytest.raises(ConfigError, match=r"--set: params.N: expected input should be greater than 0"):
        load(p, ["params.N=0"])
    with pytest.raises(ConfigError, match="expected key.path=value"):
        load(p, ["params.N"])


def test_resolved_config_round_trips(tmp_path, toy_domain):
    cfg = load(write(tmp_path, "domain: toy\nsteps: 3\nparams: {K: 2}\n"))
    again = load(yaml.safe_load(dump(cfg)))
    assert again.resolved() == cfg.resolved()
    assert cfg.resolved()["params"] == {"N": 50, "K": 2, "diverge_at": -1}


def test_discriminated_union_errors_name_the_data_path():
    from typing import Annotated, Literal, Union

    from pydantic import Field, ValidationError

    from collapsesim.config import _issues_from_validation
    from collapsesim.domains.base import DomainParams

    class A(DomainParams):
        kind: Literal["a"] = "a"
        sigma: float = 1.0

    class B(DomainParams):
        kind: Literal["b"] = "b"
        rate: float = 0.5

    class P(DomainParams):
        model: Annotated[Union[A, B], Field(discriminator="kind")] = A()

    for bad, want in (({"model": {"kind": "a", "sigmaa": 2}},
                       "params.model.sigmaa: unknown key 'sigmaa'; did you mean 'sigma'? "
                       "(expected one of: kind, sigma)"),
                      ({"model": {"kind": "b", "rate": "x"}}, "params.model.rate: expected")):
        with pytest.raises(ValidationError) as exc:
            P.model_validate(bad)
        issues = _issues_from_validation(exc.value, file="f.yaml", lines={}, prefix=("params",),
                                         model=P, overridden=set())
        assert any(want in str(i) for i in issues), [str(i) for i in issues]
