"""The bundled GAN scenarios cover every model, the full ones are the PacGAN
protocol, the parameters reject bad input, and the reproduction command trains
through the runner, checkpoints, resumes and reports (generic scenario checks:
tests/test_scenarios.py)."""

import json
import math
import os
import pickle
import signal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import collapsesim as cs
from collapsesim.config import ConfigError, load
from collapsesim.domains.gan import GANSimulation
from collapsesim.reproductions import MissingRequirement
from collapsesim.reproductions.gan import main, parse_args, required_seeds, run, table1
from collapsesim.runner import RunFolderError

ROOT = Path(cs.__file__).parent / "scenarios"
BUNDLED = sorted(ROOT.glob("gan_*.yaml")) + [ROOT / "gan.yaml"]
FULL = sorted((ROOT / "full").glob("gan_*.yaml"))
MODELS = ("vanilla", "pac2", "pac3", "pac4", "wgan_gp", "unrolled", "minibatch")


def test_every_model_has_a_bundled_and_a_full_scenario():
    names = {p.stem for p in BUNDLED}
    assert {f"gan_{d}_{m}" for d in ("ring", "grid") for m in MODELS} <= names
    assert {f"gan_ring_{m}" for m in ("minimax", "alternating", "wgan_clip", "feature_matching",
                                      "label_smoothing", "instance_noise", "mode_seeking")} <= names
    assert {f"gan_{d}_{m}" for d in ("ring", "grid") for m in ("vanilla", "pac2", "pac3", "pac4")} \
        <= {p.stem for p in FULL}


def test_full_scenarios_are_the_pacgan_protocol():
    for path in FULL:
        p = load(path).params
        assert (p.generator.hidden, p.generator.layers, p.discriminator.hidden) == (400, 4, 200)
        assert load(path).steps == 400_000 and load(path).replicates == 10


@pytest.mark.parametrize("params,key", [
    ({"data": {"kind": "grid", "K": 24}}, "params.data"),
    ({"data": {"K": 3, "weights": [1, 2]}}, "params.data"),
    ({"data": {"weights": [1, 1, 1, 1, 1, 1, 1, -1]}}, "params.data"),
    ({"d_steps": 5}, "params"),
    ({"loss": "wgan-gp", "label_smoothing": 0.1}, "params"),
    ({"loss": "hinge"}, "params.loss"),
    ({"pack": 0}, "params.pack"),
    ({"eval": {"samples": 100}}, "params.eval"),
])
def test_bad_parameters_name_the_key(params, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load({"domain": "gan", "steps": 1, "backend": "torch", "params": params})


def test_kind_defaults_resolve_and_round_trip():
    cfg = load({"domain": "gan", "steps": 1, "backend": "torch", "params": {"data": {"kind": "grid"}}})
    data = cfg.resolved()["params"]["data"]
    assert data["K"] == 25 and data["sigma"] == 0.05
    assert load({**cfg.resolved()}).resolved() == cfg.resolved()


def test_required_seeds_normal_approximation():
    # δ = 1, pooled s² = 1: 2 (1.645 + 1.282)² = 17.1 → 18 seeds per group
    assert required_seeds([0, 1, 2], [1, 2, 3]) == 18
    assert required_seeds([1, 1, 2], [1, 1, 2]) == math.inf


def _args(out, *extra):
    return ["--protocol", "reduced", "--seeds", "2", "--iterations", "6", "--record-every", "2",
            "--checkpoint-every", "2", "--out", str(out), *extra]


def _count_steps(monkeypatch, sigterm_at=None):
    """Count GANSimulation.step calls; with ``sigterm_at``, that call sends SIGTERM
    to this process before stepping (as ``timeout`` or a session's end would)."""
    step, calls = GANSimulation.step, []

    def counted(self):
        calls.append(self.t)
        if len(calls) == sigterm_at:
            os.kill(os.getpid(), signal.SIGTERM)
        step(self)

    monkeypatch.setattr(GANSimulation, "step", counted)
    return calls


def test_empty_export_stays_out_of_the_config():
    """An empty ``export`` is not dumped, so earlier configs and batch cell hashes
    (hence seeds) are unchanged; a non-empty one round-trips."""
    cfg = load({"domain": "gan", "steps": 1, "backend": "torch"})
    assert "export" not in cfg.resolved()["params"]
    cfg = load({"domain": "gan", "steps": 1, "backend": "torch", "params": {"export": [0, 1]}})
    assert cfg.resolved()["params"]["export"] == [0, 1]
    with pytest.raises(ConfigError, match=r"params\.export"):
        load({"domain": "gan", "steps": 1, "backend": "torch", "params": {"export": [-1]}})


def test_table1_without_a_gpu_names_what_is_missing(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("a CUDA GPU is present")
    with pytest.raises(MissingRequirement, match="needs a CUDA GPU"):
        table1(tmp_path, seed=1, backend="torch")


def test_stopped_protocol_resumes_through_the_runner_to_the_same_numbers(tmp_path, monkeypatch):
    """SIGTERM at the 4th iteration of the first cell (checkpoints every 2):
    the cell's run folder keeps its checkpoint at iteration 2, the second cell
    never starts; the same command again continues from iteration 2 and runs
    the second cell, and every number, record and kept sample equals an
    uninterrupted run's bitwise. Finished cells are read back, not re-run."""
    straight, split = tmp_path / "straight", tmp_path / "split"
    calls = _count_steps(monkeypatch)
    assert main(_args(straight)) == 0
    assert len(calls) == 2 * 6

    monkeypatch.undo()
    calls = _count_steps(monkeypatch, sigterm_at=4)
    cells, finished = run(parse_args(_args(split)))
    assert not finished and [c.name for c in cells] == ["ring_pac1"] and cells[0].steps_run == 2
    ckpt = pickle.loads((split / "runs" / "ring_pac1" / "checkpoints" / "rep0.pkl").read_bytes())
    assert ckpt["step"] == 2 and set(ckpt["state"]["kept"]) == {1, 2}  # samples kept so far
    assert "NOT finished" in (split / "table.md").read_text()

    monkeypatch.undo()
    calls = _count_steps(monkeypatch)
    assert main(_args(split)) == 0
    assert len(calls) == (6 - 2) + 6  # the first cell from its checkpoint, the second whole
    for name in ("ring_pac1", "ring_pac2"):
        a, b = straight / "runs" / name, split / "runs" / name
        pd.testing.assert_frame_equal(pd.read_parquet(a / "metrics.parquet"),
                                      pd.read_parquet(b / "metrics.parquet"), check_exact=True)
        for j in (0, 1):
            with np.load(a / "replicates" / str(j) / "samples.npz") as x, \
                    np.load(b / "replicates" / str(j) / "samples.npz") as y:
                assert list(x["steps"]) == [1, 2, 6]  # round(6 · (0.02, 0.1, 0.4, 1)), at least 1
                assert np.array_equal(x["samples"], y["samples"])
    a = json.loads((straight / "results.json").read_text())
    b = json.loads((split / "results.json").read_text())
    assert a["final"] == b["final"] and a["rows"] == b["rows"]
    assert [r["step"] for r in a["final"]["ring_pac1"]] == [6, 6]

    calls.clear()
    assert main(_args(split)) == 0 and calls == []  # finished cells are read back
    assert (split / "results.json").read_text().count('"final"') == 1
    with pytest.raises(RunFolderError, match="other settings"):
        main(_args(split, "--seeds", "3"))
    table = (straight / "table.md").read_text()
    assert "| ring | GAN | 2 | 6 |" in table and "PacGAN2" in table and "6.3 ± 0.5" in table
    assert (straight / "figures" / "gan_samples.png").stat().st_size > 0
    assert (straight / "figures" / "gan_training.png").stat().st_size > 0
