"""The remedy table (``collapsesim reproduce gan --protocol remedies``): its statistics
against scipy and their definitions, the arms read from the bundled scenarios, the
sweeps' batch files, and a tiny protocol end to end through the runner and batch."""

import json
import math
import shutil

import numpy as np
import pytest
import yaml
from scipy import stats

from collapsesim.batching import parse_grid, plan
from collapsesim.config import load
from collapsesim.domains.gan import GANSimulation
from collapsesim.reproductions import get
from collapsesim.reproductions.gan import (
    REMEDY_ARMS,
    SCENARIOS,
    SWEEPS,
    Arm,
    arm_params,
    holm,
    normal_power,
    parse_remedy_args,
    remedy_arms,
    required_seeds,
    run_remedies,
    t_interval,
    welch_p,
    write_sweep_batch,
)

# statistics --------------------------------------------------------------------------------


def test_t_interval_is_scipys():
    x = np.random.default_rng(3).normal(2.0, 1.5, size=9)
    m, lo, hi = t_interval(x)
    ref = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert m == pytest.approx(x.mean()) and (lo, hi) == pytest.approx(ref, rel=1e-12)
    # NaN (a seed without HQ samples has no reverse KL) is left out
    assert t_interval([*x, math.nan]) == pytest.approx((m, lo, hi))
    assert math.isnan(t_interval([1.0])[1]) and math.isnan(t_interval([])[0])


def test_welch_is_the_welch_satterthwaite_test():
    rng = np.random.default_rng(4)
    a, b = rng.normal(0, 1, 7), rng.normal(1, 3, 12)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    t = (a.mean() - b.mean()) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    assert welch_p(a, b) == pytest.approx(2 * stats.t.sf(abs(t), df), rel=1e-10)
    assert welch_p(a, b) == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue, rel=1e-12)
    assert math.isnan(welch_p([1.0], b)) and math.isnan(welch_p([2, 2, 2], [2, 2]))


def test_holm_by_hand_and_by_its_definition():
    # sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → max so far 0.06
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert math.isnan(holm([0.5, math.nan, 0.01])[1])  # NaN stays NaN
    assert holm([0.5, math.nan, 0.01])[::2] == pytest.approx([0.5, 0.02])  # m = 2, not 3
    rng = np.random.default_rng(5)
    for _ in range(50):
        p = rng.uniform(0, 0.2, size=rng.integers(1, 9))
        adj = np.array(holm(p))
        order = np.argsort(p)
        m = len(p)
        steps = np.minimum(1, (m - np.arange(m)) * p[order])
        assert np.allclose(adj[order], np.maximum.accumulate(steps))  # the step-down definition
        assert np.all(np.diff(adj[order]) >= 0)  # monotone in the raw p
        assert np.all(adj >= p) and np.all(adj <= 1)
        assert adj[order[0]] == pytest.approx(min(1, m * p[order[0]]))  # first step: Bonferroni


def test_power_inverts_the_seed_calculation():
    a, b = [0, 1, 2], [1, 2, 3]  # δ = 1, s = 1
    for alpha in (0.05, 0.002):
        n = required_seeds(a, b, alpha=alpha)
        assert normal_power(1, 1, n, alpha) >= 0.9 > normal_power(1, 1, n - 1, alpha)


# arms and sweeps ----------------------------------------------------------------------------


def test_arms_are_the_bundled_scenarios_params():
    arms = {a.name: a for a in remedy_arms()}
    assert list(arms) == [n for n, _ in REMEDY_ARMS]
    assert arms["vanilla"].overrides == {} and arms["pac2"].overrides == {"pack": 2}
    assert arms["unrolled"].overrides == {"unrolled_steps": 5}
    assert arms["wgan_gp"].overrides["optimizer"]["beta2"] == 0.9  # its own optimiser, whole
    for a in arms.values():
        if a.skipped:
            assert "no bundled scenario" in a.skipped and not (
                SCENARIOS / f"gan_ring_{a.name}.yaml").exists()
            continue
        scenario = load(SCENARIOS / f"gan_ring_{a.name}.yaml").resolved()["params"]
        scenario.pop("export", None)
        assert arm_params(a, "ring") == scenario, a.name
        grid = arm_params(a, "grid")
        assert grid["data"]["kind"] == "grid" and grid["data"]["K"] == 25


def test_missing_or_foreign_scenarios_are_skipped_with_a_reason(tmp_path):
    for name in ("vanilla", "pac2"):
        shutil.copy(SCENARIOS / f"gan_ring_{name}.yaml", tmp_path)
    raw = yaml.safe_load((SCENARIOS / "gan_ring_mode_seeking.yaml").read_text())
    raw["params"]["generator"]["hidden"] = 400
    (tmp_path / "gan_ring_mode_seeking.yaml").write_text(yaml.safe_dump(raw))
    arms = {a.name: a for a in remedy_arms(["vanilla", "pac2", "mode_seeking", "gman"],
                                           root=tmp_path)}
    assert not arms["vanilla"].skipped and not arms["pac2"].skipped
    assert "other generator" in arms["mode_seeking"].skipped
    assert arms["gman"].skipped == "not implemented yet (no bundled scenario `gan_ring_gman.yaml`)"
    with pytest.raises(ValueError, match="unknown remedy arm"):
        remedy_arms(["bogus"])


def test_sweep_batch_files_are_a_collapsesim_batch(tmp_path):
    args = parse_remedy_args(["--out", str(tmp_path), "--sweep-seeds", "3"])
    pac2 = Arm("pac2", "PacGAN2", {"pack": 2})
    path, grid, out, command, paper = write_sweep_batch(pac2, args)
    assert grid == ["params.pack=1,3,4"] and paper == 2  # 2: the table's run of the arm
    assert command == (f"collapsesim batch {path} --grid params.pack=1,3,4 --out {out} "
                       "--workers 1 --quiet")
    assert (path.parent / "command.txt").read_text() == command + "\n"
    cells, reps, base = plan(str(path), parse_grid(grid), None)
    assert reps == 3 and base["steps"] == args.iterations and base["params"]["pack"] == 2
    assert [c.config["params"]["pack"] for c in cells] == [1, 3, 4]
    # a knob swept by factors of the paper's setting
    ms = Arm("mode_seeking", "MSGAN", {"mode_seeking": 1.0})
    _, grid, _, _, paper = write_sweep_batch(ms, args)
    assert SWEEPS["mode_seeking"].factors and grid == ["params.mode_seeking=0.1,10"]
    assert paper == 1.0


# the protocol end to end ---------------------------------------------------------------------

TINY = ["--arms", "vanilla", "pac2", "--iterations", "4", "--record-every", "2",
        "--pilot-seeds", "2", "--max-seeds", "2", "--sweep-seeds", "2", "--sweeps", "pac2",
        "--checkpoint-every", "2",
        "--set", "params.generator.hidden=8", "--set", "params.discriminator.hidden=8",
        "--set", "params.data.n_train=200", "--set", "params.eval.samples=200",
        "--set", "params.eval.vendi_samples=20", "--set", "params.eval.pr_samples=50"]


def test_registered_as_a_protocol():
    assert get("gan", "remedies").backend == "torch"


def test_tiny_protocol_end_to_end_and_read_back(tmp_path, monkeypatch):
    """2 arms × ring and grid, 2 seeds, 4 iterations, tiny networks: the pilot, the
    arms' runner folders, the pack sweep through batch, the table, results and figure;
    run again, everything is read back (no training step)."""
    args = parse_remedy_args([*TINY, "--out", str(tmp_path)])
    result = run_remedies(args)
    assert result.finished and result.seeds == 2
    for d in ("ring", "grid"):
        for a in ("vanilla", "pac2"):
            run = result.runs[d, a]
            assert run.folder == tmp_path / "runs" / f"{d}_{a}" and run.step == 4
            assert len(run.final["modes_captured"]) == 2 and run.status == "completed"
            cfg = load(run.folder / "config.yaml")
            assert cfg.params.generator.hidden == 8 and cfg.params.pack == (2 if a == "pac2" else 1)
    assert set(result.pilot) == {"vanilla", "pac2"}
    assert load(tmp_path / "pilot" / "ring_vanilla" / "config.yaml").seed == 11
    (sweep,) = result.sweeps
    assert sorted(sweep.final) == [1, 3, 4] and all(len(f["D1"]) == 2 for f in sweep.final.values())
    assert (tmp_path / "sweeps" / "pac2" / "batch" / "batch.json").is_file()
    text = (tmp_path / "table.md").read_text()
    assert "| GAN (vanilla) | 2 |" in text and "| PacGAN2 | 2 |" in text
    assert "| PacGAN2 | `pack` | 2 (paper: the table's run) | 2 |" in text and "CUDA untested" in text
    assert text.index("| `pack` | 1 |") < text.index("| `pack` | 2 (paper") < text.index("| `pack` | 3 |")
    assert (tmp_path / "figures" / "gan_remedies_modes.png").stat().st_size > 0
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["finished"] and [r["arm"] for r in saved["rows"]["grid"]] == ["vanilla", "pac2"]

    calls = []
    step = GANSimulation.step
    monkeypatch.setattr(GANSimulation, "step", lambda self: (calls.append(1), step(self)))
    again = run_remedies(parse_remedy_args([*TINY, "--out", str(tmp_path)]))
    assert calls == [] and (tmp_path / "table.md").read_text() == text  # recorded times too
    assert again.runs["ring", "pac2"].final["D1"].tolist() == result.runs["ring", "pac2"].final["D1"].tolist()
