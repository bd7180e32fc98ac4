"""``collapsesim reproduce gan`` (protocol ``page``) writes the whole page at a
tiny scale: every section, the tables of both protocols, the figures the page
links, and the numbers of the true-sample check."""

import re

import pytest

from collapsesim.reproductions import get
from collapsesim.reproductions.gan import page

SECTIONS = ["# GAN: mode collapse on the 2D ring and grid", "## The benchmark and its metrics",
            "## Models and remedies", "## Batched replicates, bitwise",
            "## Reduced CPU protocol: packing beats the GAN",
            "## The remedy table (reduced CPU protocol)", "## PacGAN Table 1 on CPU (partial)",
            "## Differences from PacGAN's code", "## Benchmarks"]


def test_page_is_the_default_protocol():
    assert get("gan").name == "page"


def test_page_at_tiny_scale_has_every_section_and_figure(tmp_path):
    out = tmp_path / "out"
    path = page(out, seed=1, backend="torch", scale=0.01, runs=tmp_path / "runs")
    text = path.read_text()
    positions = [text.index(s) for s in SECTIONS]
    assert positions == sorted(positions)
    assert "collapsesim reproduce gan\n" in text and "seed 1" in text
    # the reduced protocol (2 seeds at this scale) and its pilot, then Table 1 on CPU
    assert "| ring | GAN | 2 | 6 |" in text and "| ring | PacGAN2 | 2 | 6 |" in text
    assert "Pilot runs (2 seeds per arm, root seed 11" in text
    for d in ("ring", "grid"):
        for m in ("GAN", "PacGAN2"):
            assert f"| {d} | {m} | 2 | 4 |" in text
    assert "6.3 ± 0.5" in text and "23.8 ± 0.7" in text  # published columns
    # the remedy table at tiny scale: 2 arms, 2 seeds, ring and grid, the pack sweep
    assert text.count("| GAN (vanilla) | 2 |") == 2 and "| PacGAN2 | `pack` | 2 (paper: the table's run) | 2 |" in text
    assert "CUDA untested" in text and "runs/gan-page-seed<seed>/remedies/" in text
    # true samples reach the ceilings: every mode, %HQ near 1 − e^(−4.5)
    assert "| modes captured (N = 100,000) | 8 / 8 | 25 / 25 | K |" in text
    hq = [float(x) for x in re.findall(r"\| %HQ \(N = 100,000\) \| ([\d.]+) % \| ([\d.]+) %", text)[0]]
    assert hq == pytest.approx([98.889, 98.889], abs=0.2)
    for name in re.findall(r"\]\(figures/([^)]+)\)", text):
        assert (out / "figures" / name).stat().st_size > 0, name
    assert {p.name for p in (out / "figures").iterdir()} == {
        "gan_reduced_samples.png", "gan_reduced_training.png", "gan_remedies_modes.png",
        *(f"gan_table1_cpu_{d}_{k}.png" for d in ("ring", "grid") for k in ("samples", "training"))}
