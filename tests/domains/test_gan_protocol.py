"""The bundled GAN scenarios cover every model, the full ones are the PacGAN
protocol, the parameters reject bad input, and the reproduction command trains,
checkpoints, resumes and reports (generic scenario checks: tests/test_scenarios.py)."""

import json
import math
from pathlib import Path

import pytest

import collapsesim as cs
from collapsesim.config import ConfigError, load
from collapsesim.reproductions.gan import main, parse_args, required_seeds, run

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
    return ["--protocol", "reduced", "--seeds", "2", "--iterations", "4", "--record-every", "2",
            "--checkpoint-every", "2", "--out", str(out), *extra]


def test_reproduce_writes_the_table_and_resumes_to_the_same_numbers(tmp_path):
    straight, split = tmp_path / "straight", tmp_path / "split"
    assert main(_args(straight)) == 0
    cells, finished = run(parse_args(_args(split, "--time-limit", "0")))
    assert not finished and cells[0].sim.t == 1
    assert main(_args(split)) == 0
    a = json.loads((straight / "results.json").read_text())["final"]
    b = json.loads((split / "results.json").read_text())["final"]
    assert a == b
    table = (straight / "table.md").read_text()
    assert "| ring | GAN | 2 | 4 |" in table and "PacGAN2" in table and "6.3 ± 0.5" in table
    assert (straight / "figures" / "gan_samples.png").stat().st_size > 0
    assert (straight / "figures" / "gan_training.png").stat().st_size > 0
