"""The class of bad-input failures made impossible (issue #11), by property:

1. ``collapsesim validate`` on a generated scenario file -- random key paths,
   types and values (inf, NaN, huge, negative, bool, str, nested), YAML
   features (aliases, tags, duplicate keys, non-UTF-8 bytes, garbage) -- exits
   0 (printing "ok") or 1/2 with every stderr line naming the file, and never
   shows a traceback. Files built only from valid choices must exit 0.
2. ``collapsesim run`` of a scenario with a hostile ``name`` (``..``,
   ``../../x``, an absolute path, ``a/b``) writes nothing outside its output
   folder (``--out``, or the default ``runs/<safe name>`` under the cwd).

Runs in process through click's CliRunner. The default suite draws 60 (and 8
runs) examples; the ``slow`` variants 1000 (and 60).
"""

import os
import tempfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collapsesim.cli import main

# -- generated scenarios -----------------------------------------------------------------

TOP_KEYS = ["domain", "name", "seed", "replicates", "steps", "record_every", "backend", "device",
            "collapse_threshold", "params", "stesp", "extra"]
PARAM_KEYS = ["N", "K", "s", "mu", "model", "mutation", "initial_counts", "initial_frequencies",
              "NN", "selection"]

scalars = st.one_of(
    st.integers(-10, 10**4), st.integers(-2**70, 2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
    st.text(max_size=12), st.sampled_from(["drift", "numpy", "torch", "cuda", "moran", "1e-8",
                                           "3e9", "yes", "~", ".inf", "-.nan", "0x1F"]),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(PARAM_KEYS + ["x"]), inner,
                                                 max_size=4)), max_leaves=8)

# valid choices only (drift, tiny): these files must validate
valid_top = st.fixed_dictionaries(
    {"domain": st.just("drift"), "steps": st.integers(1, 10**6)},
    optional={"seed": st.integers(0, 2**63), "replicates": st.integers(1, 100),
              "record_every": st.integers(1, 50), "backend": st.sampled_from(["numpy", "numba",
                                                                              "torch"]),
              "name": st.text(max_size=20), "collapse_threshold": st.floats(0.01, 0.99)})
valid_params = st.fixed_dictionaries({}, optional={
    "N": st.integers(2, 10**5), "K": st.integers(2, 20), "mu": st.floats(0, 1),
    "model": st.sampled_from(["wright-fisher", "moran"]), "s": st.floats(-0.5, 10)})


@st.composite
def scenario_bytes(draw):
    """(file bytes, whether it is valid by construction)."""
    data = draw(valid_top)
    params = draw(valid_params)
    if params:
        data["params"] = params
    valid = True
    for _ in range(draw(st.integers(0, 3))):  # random edits at random key paths
        valid = False
        if draw(st.booleans()):
            data[draw(st.sampled_from(TOP_KEYS))] = draw(values)
        else:
            p = data.get("params")
            if not isinstance(p, dict):
                p = data["params"] = {}
            p[draw(st.sampled_from(PARAM_KEYS))] = draw(values)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    feature = draw(st.sampled_from(["none", "none", "alias", "tag", "duplicate", "bytes", "garbage",
                                    "not-mapping", "exponent"]))
    if feature == "alias":
        text = "x: &a [1, 2]\n" + text + "y: *a\n"
    elif feature == "tag":
        text += draw(st.sampled_from(["z: !!python/object:os.system {}\n",
                                      "z: !!python/name:os.system\n", "z: !custom 1\n",
                                      "z: !!binary aGk=\n", "z: !!set {a, b}\n"]))
    elif feature == "duplicate":
        text += draw(st.sampled_from(["domain: drift\n", "steps: 3\n", "params: {}\n"]))
    elif feature == "exponent":  # a YAML 1.2 float where an int or float is expected
        text += draw(st.sampled_from(["seed: 1e3\n", "record_every: 1e0\n", "stesp: 1e9\n"]))
        valid = valid and "record_every" not in data and "seed" not in data and "stesp" not in text
    raw = text.encode("utf-8")
    if feature == "bytes":
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xe9t\xe9", b"\x00"])) + raw[at:]
    elif feature == "garbage":
        raw = draw(st.binary(max_size=60))
    elif feature == "not-mapping":
        raw = draw(st.sampled_from([b"- 1\n- 2\n", b"42\n", b"just text\n", b"", b"---\n---\n"]))
    if feature not in ("none", "exponent"):
        valid = False
    return raw, valid


def _check_validate(raw: bytes, valid: bool):
    with tempfile.TemporaryDirectory() as d:
        path = str(Path(d) / "fz.yaml")
        Path(path).write_bytes(raw)
        r = CliRunner().invoke(main, ["validate", path])
    assert r.exit_code in (0, 1, 2), (r.exit_code, r.output)
    assert "Traceback" not in r.output and "Traceback" not in r.stderr, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    if r.exit_code == 0:
        assert r.stderr == "" and r.stdout.startswith(f"{path}: ok ("), r.output
    else:
        lines = r.stderr.splitlines()
        assert lines and all(line.startswith(path) for line in lines), r.stderr
    if valid:
        assert r.exit_code == 0, (raw, r.stderr)


@pytest.mark.filterwarnings("error::RuntimeWarning")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=scenario_bytes())
def test_validate_never_tracebacks(case):
    _check_validate(*case)


@pytest.mark.slow
@pytest.mark.filterwarnings("error::RuntimeWarning")
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=scenario_bytes())
def test_validate_never_tracebacks_many(case):
    _check_validate(*case)


# -- hostile names -------------------------------------------------------------------------

hostile_names = st.one_of(
    st.sampled_from(["..", ".", "../../x", "../..", "a/b", "a/../../b", "/abs/path", "~", "",
                     "-rf", "con", "a\\..\\b", "runs/../..", "\u2215evil"]),
    st.lists(st.sampled_from(["..", ".", "a", "/", "x y"]), min_size=1, max_size=5).map("/".join),
)


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def _check_run(name: str, use_out: bool):
    with tempfile.TemporaryDirectory() as d:
        root = Path(d).resolve()
        cwd = root / "w1" / "w2"
        cwd.mkdir(parents=True)
        sc = root / "sc.yaml"
        hostile = str(root / name.lstrip("/")) if name.startswith("/") else name
        sc.write_text(yaml.safe_dump({"domain": "drift", "name": hostile, "steps": 4,
                                      "backend": "numpy", "params": {"N": 20, "K": 3}}))
        before = _files(root)
        old = os.getcwd()
        os.chdir(cwd)
        try:
            args = ["run", str(sc), "--quiet"] + (["--out", str(cwd / "out")] if use_out else [])
            r = CliRunner().invoke(main, args)
        finally:
            os.chdir(old)
        assert r.exit_code == 0, r.output
        new = _files(root) - before
        allowed = cwd / "out" if use_out else cwd / "runs"
        assert new, "the run wrote nothing"
        escaped = [p for p in new if allowed not in p.parents]
        assert not escaped, (name, escaped)
        if not use_out:  # one folder directly under runs/, named from the label
            assert len({p.relative_to(allowed).parts[0] for p in new}) == 1


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=hostile_names, use_out=st.booleans())
def test_run_writes_only_inside_its_folder(name, use_out):
    _check_run(name, use_out)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=hostile_names, use_out=st.booleans())
def test_run_writes_only_inside_its_folder_many(name, use_out):
    _check_run(name, use_out)
