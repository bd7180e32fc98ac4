"""The `collapsesim` command: run, validate, list, plot; bad input never shows a traceback."""

import json
import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

from collapsesim.cli import main


@pytest.fixture
def cli():
    return CliRunner()


def toy_file(tmp_path, text="domain: toy\nname: t\nseed: 2\nsteps: 12\nrecord_every: 3\nbackend: numpy\n"
                            "replicates: 2\nparams: {N: 30, K: 3}\n"):
    p = tmp_path / "toy.yaml"
    p.write_text(text)
    return p


def test_run_writes_the_run_directory(cli, tmp_path, toy_domain):
    out = tmp_path / "out"
    r = cli.invoke(main, ["run", str(toy_file(tmp_path)), "--out", str(out), "--set", "params.N=33"])
    assert r.exit_code == 0, r.output
    assert "t: completed" in r.output
    m = pd.read_parquet(out / "metrics.parquet")
    assert set(m["replicate"]) == {0, 1}
    cfg = (out / "config.yaml").read_text()
    assert "N: 33" in cfg and "seed: 2" in cfg


def test_run_options_override(cli, tmp_path, toy_domain):
    out = tmp_path / "o"
    r = cli.invoke(main, ["run", str(toy_file(tmp_path)), "--out", str(out), "--seed", "9",
                          "--steps", "6", "--replicates", "1", "--backend", "torch", "--quiet"])
    assert r.exit_code == 0, r.output
    s = json.loads((out / "summary.json").read_text())
    assert (s["seed"], s["steps"], s["replicates"], s["backend"]) == (9, 6, 1, "torch")


def test_validate_reports_every_problem(cli, tmp_path, toy_domain):
    good = toy_file(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("domain: toy\nstesp: 3\nparams:\n  N: -1\n")
    r = cli.invoke(main, ["validate", str(good), str(bad)])
    assert r.exit_code == 1
    assert f"{good}: ok" in r.output
    assert f"{bad}:2: stesp: unknown key 'stesp'; did you mean 'steps'?" in r.output
    assert f"{bad}:4: params.N: expected input should be greater than 0; got -1" in r.output
    assert "Traceback" not in r.output


def test_divergence_exit_code_keeps_records(cli, tmp_path, toy_domain):
    out = tmp_path / "d"
    r = cli.invoke(main, ["run", str(toy_file(tmp_path)), "--out", str(out),
                          "--set", "params.diverge_at=7"])
    assert r.exit_code == 3
    assert "diverged" in r.output and "toy state became NaN" in r.output
    assert pd.read_parquet(out / "metrics.parquet")["step"].max() == 6


def test_list_and_plot(cli, tmp_path, toy_domain):
    r = cli.invoke(main, ["list"])
    assert r.exit_code == 0 and "domain   toy" in r.output
    out = tmp_path / "p"
    cli.invoke(main, ["run", str(toy_file(tmp_path)), "--out", str(out), "-q"])
    (out / "diversity.png").unlink()
    r = cli.invoke(main, ["plot", str(out)])
    assert r.exit_code == 0 and (out / "diversity.png").stat().st_size > 0
    r = cli.invoke(main, ["plot", str(tmp_path)])
    assert r.exit_code == 1 and "metrics.parquet: missing" in r.output


def test_installed_command_has_no_traceback_on_bad_input(tmp_path):
    """Through the real entry point, in a subprocess (no toy domain there)."""
    for text in ("domain: no_such_domain\nsteps: 3\n", "domain: [x\n", "domain: drift\nstesp: 3\n"):
        f = tmp_path / "x.yaml"
        f.write_text(text)
        p = subprocess.run([sys.executable, "-m", "collapsesim.cli", "run", str(f)],
                           capture_output=True, text=True)
        assert p.returncode == 1, p.stderr
        assert "Traceback" not in p.stderr and str(f) in p.stderr


@pytest.mark.parametrize("name", ["..", "../../escaped", "/abs", "a/b", "."])
def test_a_name_is_a_label_never_a_path(cli, tmp_path, toy_domain, monkeypatch, name):
    """`name` becomes one folder under runs/ (safe_folder_name); nothing outside it is written."""
    work = tmp_path / "work" / "deep"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    sc = work / "sc.yaml"
    sc.write_text(f"domain: toy\nname: '{name}'\nseed: 2\nsteps: 4\nrecord_every: 2\n"
                  "backend: numpy\nparams: {N: 30, K: 3}\n")
    (work / "config.yaml").write_text("mine\n")
    before = {p for p in tmp_path.rglob("*")}
    r = cli.invoke(main, ["run", str(sc), "-q"])
    assert r.exit_code == 0, r.output
    new = {p for p in tmp_path.rglob("*")} - before
    runs = work / "runs"
    assert new and all(p == runs or runs in p.parents for p in new), sorted(map(str, new))
    assert len(list(runs.iterdir())) == 1 and (next(runs.iterdir()) / "metrics.parquet").is_file()
    assert (work / "config.yaml").read_text() == "mine\n"


def test_out_under_a_file_fails_at_once_in_one_line(cli, tmp_path, toy_domain):
    afile = tmp_path / "afile"
    afile.write_text("x")
    r = cli.invoke(main, ["run", str(toy_file(tmp_path)), "--out", str(afile / "run"), "-q"])
    assert r.exit_code == 1
    assert r.output.strip().count("\n") == 0 and str(afile / "run") in r.output


def test_rerun_into_a_run_folder_is_refused_unless_overwrite(cli, tmp_path, toy_domain):
    out = tmp_path / "o"
    args = ["run", str(toy_file(tmp_path)), "--out", str(out), "-q"]
    assert cli.invoke(main, args).exit_code == 0
    before = (out / "summary.json").read_text()
    r = cli.invoke(main, args)
    assert r.exit_code == 1 and "--overwrite" in r.output and f"--resume {out}" in r.output
    assert (out / "summary.json").read_text() == before
    r = cli.invoke(main, args + ["--overwrite", "--seed", "7"])
    assert r.exit_code == 0 and json.loads((out / "summary.json").read_text())["seed"] == 7
    r = cli.invoke(main, ["run", "--resume", str(out)])
    assert r.exit_code == 1 and "already complete" in r.output
    r = cli.invoke(main, ["run", str(toy_file(tmp_path)), "--resume", str(out)])
    assert r.exit_code == 1 and "drop SCENARIO" in r.output


def test_plot_names_a_corrupt_summary(cli, tmp_path, toy_domain):
    out = tmp_path / "p"
    assert cli.invoke(main, ["run", str(toy_file(tmp_path)), "--out", str(out), "-q"]).exit_code == 0
    (out / "summary.json").write_text('{"headline": ')
    r = cli.invoke(main, ["plot", str(out)])
    assert r.exit_code == 1 and r.output.startswith(f"{out / 'summary.json'}: not a readable")
    assert "Traceback" not in r.output and r.output.strip().count("\n") == 0
