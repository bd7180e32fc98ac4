"""The example third-party domain (examples/plugin: the voter model) is found
through the ``collapsesim.domains`` entry point and passes the whole
conformance suite, and its simulation agrees with its own theory.

The plugin is made importable the way an installed wheel is — its source on
the path and a ``.dist-info`` carrying its entry point — in a subprocess, so
the test needs no network, no pip and leaves this environment untouched."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PLUGIN = Path(__file__).resolve().parents[1] / "examples" / "plugin"


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    info = site / "collapsesim_voter-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: collapsesim-voter\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[collapsesim.domains]\nvoter = collapsesim_voter\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(PLUGIN / "src"), str(site),
                                         env.get("PYTHONPATH", "")])
    return env


def _python(env, code: str) -> str:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_plugin_is_listed_through_its_entry_point(plugin_env):
    out = subprocess.run([sys.executable, "-m", "collapsesim", "list"], env=plugin_env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert any(line.split()[:2] == ["domain", "voter"] for line in out.stdout.splitlines())


def test_plugin_passes_the_generated_conformance_suite(plugin_env):
    out = _python(plugin_env, """
        from collapsesim.testing import conformance_cases, run_check
        cases = [c for c in conformance_cases(["voter"], cuda=False)]
        for c in cases:
            run_check(c)
        print(len(cases))
    """)
    assert int(out) >= 20  # 3 domain checks + 8 per backend on 3 backends, less numpy's agreement


def test_plugin_matches_its_theory(plugin_env):
    # E[H_t] = H0 (1 − 2/N²)^(N t); finished (consensus) replicates keep H = 0
    out = _python(plugin_env, """
        import numpy as np, collapsesim as cs
        from collapsesim.reproductions.harness import metric_matrix
        from collapsesim_voter.theory import expected_heterozygosity
        steps = [5, 10, 20]
        r = cs.run({"domain": "voter", "steps": 20, "record_every": 5, "replicates": 400,
                    "seed": 3, "backend": "numba", "params": {"N": 20, "K": 4}})
        h = metric_matrix(r.metrics, "heterozygosity", steps)
        z = (h.mean(0) - [expected_heterozygosity(0.75, 20, t) for t in steps]) / (
            h.std(0, ddof=1) / np.sqrt(len(h)))
        print(" ".join(f"{v:.3f}" for v in z))
    """)
    z = [float(v) for v in out.split()]
    assert all(abs(v) < 3 for v in z), z


def test_a_plugin_keeps_a_builtin_name_it_replaces_when_builtins_load_later():
    """The registry imports a built-in domain lazily; a plugin that replaces a
    built-in name must still win after every built-in is imported (available())."""
    import subprocess
    import sys

    code = "\n".join([
        "import collapsesim.registry as reg",
        "from collapsesim.domains.base import Domain",
        "class EP:",
        "    name = 'ga-replacement'",
        "    def load(self):",
        "        reg.register('ga')(type('PluginGA', (Domain,), {}))",
        "reg.entry_points = lambda group: [EP()]",
        "reg.get_domain('drift')",
        "first = reg.get_domain('ga').__name__",
        "names = reg.available()",
        "print(first, 'drift' in names and 'gan' in names, reg.get_domain('ga').__name__)",
    ])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["PluginGA", "True", "PluginGA"]
