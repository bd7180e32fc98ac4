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
    with pytest.raises(ConfigError) as exc:
        load(p, ["params.N=0"])
    assert str(exc.value) == "--set params.N=0: expected input should be greater than 0; got 0"
    with pytest.raises(ConfigError, match=r"^--set params=\{N: x\}: N: expected input should be "
                       "a valid integer; got 'x'$"):
        load(p, ["params={N: x}"])
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
                                         model=P, overridden={})
        assert any(want in str(i) for i in issues), [str(i) for i in issues]


# -- input hardening (docs/reliability.md, "Input") -------------------------------------


def test_billion_laughs_is_refused_at_the_first_alias_without_expanding(tmp_path):
    import tracemalloc

    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i, prev in zip("bcdefghi", "abcdefgh"):
        text += f"{i}: &{i} [{','.join(['*' + prev] * 9)}]\n"  # 9^9 strings if expanded
    p = write(tmp_path, text)
    assert len(text) < 600
    tracemalloc.start()
    try:
        with pytest.raises(ConfigError) as exc:
            load(p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(exc.value) == (f"{p}:1: not valid YAML: aliases and anchors (&, *) are not "
                              "allowed in scenario files")
    assert peak < 5 * 2**20  # the expansion would need gigabytes


def test_duplicate_keys_name_both_lines_at_any_depth(tmp_path, toy_domain):
    with pytest.raises(ConfigError, match=r"s.yaml:3: not valid YAML: duplicate key 'steps' "
                       r"\(first on line 2\)$"):
        load(write(tmp_path, "domain: toy\nsteps: 10\nsteps: 20\n"))
    with pytest.raises(ConfigError, match=r"s.yaml:5: .*duplicate key 'N' \(first on line 4\)"):
        load(write(tmp_path, "domain: toy\nsteps: 10\nparams:\n  N: 10\n  N: 20\n"))


@pytest.mark.parametrize("text,value", [("1e-8", 1e-8), ("3e9", 3e9), ("-2E5", -2e5),
                                        ("+1.5e3", 1500.0), ("1_000", 1000), ("0x10", 16),
                                        ("yes", True), (".inf", float("inf")), ("1e", "1e")])
def test_one_value_parser_reads_yaml_1_2_exponents(text, value):
    from collapsesim.batching import parse_grid
    from collapsesim.config import parse_value

    got = parse_value(text)
    assert got == value and type(got) is type(value)
    assert parse_grid([f"params.x={text},{text}"])["params.x"] == [value, value]


def test_exponent_floats_in_files_and_set(tmp_path):
    p = write(tmp_path, "domain: drift\nsteps: 1e1\nparams: {N: 5e2, mu: 1e-8}\n")
    cfg = load(p)
    assert (cfg.steps, cfg.params.N, cfg.params.mu) == (10, 500, 1e-8)
    assert type(cfg.steps) is int and type(cfg.params.N) is int
    assert load(p, ["params.mu=3E-3"]).params.mu == 3e-3


def test_non_utf8_and_non_mapping_files_are_located(tmp_path):
    p = tmp_path / "u.yaml"
    p.write_bytes(b"domain: drift\nsteps: 10\nname: caf\xe9\n")
    with pytest.raises(ConfigError, match=r"u.yaml:3: expected UTF-8 text; got byte 0xe9$"):
        load(p)
    with pytest.raises(ConfigError, match=r"s.yaml:1: expected a mapping .*; got str$"):
        load(write(tmp_path, "just text\n"))
    with pytest.raises(ConfigError, match=r"s.yaml:\d+: not valid YAML: could not determine a "
                       "constructor for the tag"):
        load(write(tmp_path, "domain: !!python/object:os.system x\nsteps: 1\n"))


@pytest.mark.parametrize("text,key,want", [
    ("steps: yes", "steps", "a valid integer; got True"),
    ("steps: '10'", "steps", "a valid integer; got '10'"),
    ("steps: 2.5", "steps", "a valid integer; got 2.5"),
    ("steps: 3\nseed: true", "seed", "a valid integer; got True"),
    ("steps: 3\nname: 5", "name", "a valid string; got 5"),
    ("steps: 3\ncollapse_threshold: .nan", "collapse_threshold", "a finite number; got nan"),
    ("steps: 3\nparams: {K: true}", "params.K", "a valid integer; got True"),
    ("steps: 3\nparams: {N: '500'}", "params.N", "an integer >= 2 or a list of epochs"),
    ("steps: 3\nparams: {mu: '0.1'}", "params.mu", "a valid number; got '0.1'"),
    ("steps: 3\nparams: {s: .inf}", "params.s", "a finite number; got inf"),
    ("steps: 3\nparams: {s: -.inf}", "params.s", "a number > -1"),
])
def test_strict_types_and_finite_floats(tmp_path, text, key, want):
    p = write(tmp_path, "domain: drift\n" + text + "\n")
    with pytest.raises(ConfigError) as exc:
        load(p)
    lines = str(exc.value).splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{p}:") and f": {key}: expected " in lines[0] \
        and want in lines[0], lines


def test_strict_mode_keeps_ints_for_floats_literals_and_nested_models(tmp_path):
    cfg = load(write(tmp_path, "domain: drift\nsteps: 3\nbackend: numpy\n"
                     "params: {N: 500, s: 1, model: moran}\n"))
    assert (cfg.params.N, cfg.params.s, cfg.params.model, cfg.backend) == (500, 1.0, "moran", "numpy")
    cfg = load(write(tmp_path, "domain: ga\nsteps: 3\n"
                     "params: {selection: {kind: tournament, k: 3}, niching: {kind: sharing, sigma: 1}}\n"))
    assert cfg.params.selection.k == 3 and cfg.params.niching.sigma == 1.0


def test_non_finite_float_in_a_nested_model_names_the_path(tmp_path):
    p = write(tmp_path, "domain: ga\nsteps: 3\nparams:\n  mutation: {kind: gaussian, sigma: .inf}\n")
    with pytest.raises(ConfigError, match=r"s.yaml:4: params.mutation.sigma: expected input should "
                       "be a finite number; got inf$"):
        load(p)


def test_memory_guard_names_the_key_and_the_estimate(tmp_path, monkeypatch):
    import collapsesim.config as config

    p = write(tmp_path, "domain: drift\nsteps: 3\nparams:\n  N: 3e9\n")
    with pytest.raises(ConfigError, match=r"s.yaml:4: params.N: needs about \d.* GiB of memory with 1 "
                       r"replicate\(s\); this machine has .* GiB$"):
        load(p)
    with pytest.raises(ConfigError, match=r"^--set params.N=3e9: params.N: needs about"):
        load(write(tmp_path, "domain: drift\nsteps: 3\n"), ["params.N=3e9"])
    with pytest.raises(ConfigError, match=r"--set replicates=3000000000: expected input should be "
                       "less than or equal to 10000000"):
        load(write(tmp_path, "domain: drift\nsteps: 3\n"), ["replicates=3000000000"])
    # the comparison is with this machine's memory: a small machine refuses a small run
    monkeypatch.setattr(config, "physical_memory", lambda: 1000)
    with pytest.raises(ConfigError, match="params.N: needs about"):
        load(write(tmp_path, "domain: drift\nsteps: 3\nparams: {N: 100}\n"))


@pytest.mark.parametrize("domain,key,params", [
    ("drift", "params.N", {"N": 10**12}),
    ("particle_filter", "params.N", {"N": 10**12}),
    ("sweep", "params.N", {"N": 10**12}),
    ("ga", "params.N", {"N": 10**12}),
    ("hikers", "params.N", {"N": 10**12}),
    ("gan", "params.data.n_train", {"data": {"n_train": 10**14}}),
])
def test_every_builtin_domain_estimates_its_memory(tmp_path, domain, key, params):
    from collapsesim.config import physical_memory
    from collapsesim.registry import get_domain

    default = load(domain)  # the bundled default scenario fits this machine
    cls = get_domain(domain)
    assert all(b <= physical_memory() for _, b in cls.memory_estimate(default.params, default.replicates))
    data = {"domain": domain, "steps": 3, "params": params, "backend": cls.backends[0]}
    with pytest.raises(ConfigError, match=rf"<dict>: {key}: needs about"):
        load(data)


def test_cli_refuses_bad_set_values_and_memory_in_one_line(tmp_path):
    from click.testing import CliRunner

    from collapsesim.cli import main

    p = write(tmp_path, "domain: drift\nsteps: 3\nbackend: numpy\n")
    out = tmp_path / "out"
    for args, want in ((["--set", "params.s=.inf"],
                        "--set params.s=.inf: expected input should be a finite number; got inf"),
                       (["--set", "steps=yes"],
                        "--set steps=yes: expected input should be a valid integer; got True"),
                       (["--set", "params.N=3e9"], "--set params.N=3e9: params.N: needs about "),
                       (["--replicates", "3000000000"], "--replicates 3000000000: expected "
                        "input should be less than or equal to 10000000")):
        r = CliRunner().invoke(main, ["run", str(p), "--out", str(out), *args])
        assert r.exit_code == 1 and r.stdout == "", (args, r.output)
        assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith(want), (args, r.stderr)
        assert not out.exists()


def test_numpy_scalars_from_python_count_as_their_numbers():
    import numpy as np
    from pydantic import ValidationError

    from collapsesim.domains.drift.params import DriftParams

    p = DriftParams(N=np.int64(50), K=np.int32(3), s=np.float64(0.1), mu=np.float64(0.01))
    assert (p.N, p.K, p.s) == (50, 3, 0.1) and type(p.N) is int
    for bad in ({"N": np.bool_(True)}, {"N": np.float64(2.5)}, {"s": np.float64("inf")}):
        with pytest.raises(ValidationError):
            DriftParams(**bad)


def test_suite_files_follow_the_scenario_rules(tmp_path):
    from collapsesim.comparison import load_suite

    entries, _ = load_suite("collapse")  # the bundled suite still loads
    assert entries
    p = write(tmp_path, "scenarios: &s [drift_neutral]\nreplicates: 2\nother: *s\n", "suite.yaml")
    with pytest.raises(ConfigError, match=r"suite.yaml:1: not valid YAML: aliases and anchors"):
        load_suite(str(p))
    p = write(tmp_path, "scenarios: [drift_neutral]\nscenarios: [ga]\n", "suite.yaml")
    with pytest.raises(ConfigError, match=r"suite.yaml:2: .*duplicate key 'scenarios' \(first on line 1\)"):
        load_suite(str(p))
