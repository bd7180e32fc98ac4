"""The peers: the tools the report measures collapsesim against, each in its own
environment (built by ``benchmarks/setup_peers.sh``) and named by an
environment variable that holds its interpreter.

A section runs a peer only through that interpreter, in a subprocess
(:func:`call` runs a function of :mod:`benchmarks` there and returns its JSON
result), and the report prints the peer's version as that interpreter reports
it, never the interpreter's path. A peer whose variable is unset reads
:data:`MISSING`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MISSING = "not set up (benchmarks/setup_peers.sh)"

# peer -> (environment variable, modules whose versions the report prints)
PEERS = {
    "particles": ("COLLAPSESIM_PARTICLES_PYTHON", ("particles", "numpy")),
    "DEAP / EvoTorch": ("COLLAPSESIM_DEAP_PYTHON", ("deap", "evotorch", "torch")),
    "fwdpy11 / msprime": ("COLLAPSESIM_FWDPY11_PYTHON", ("fwdpy11", "msprime")),
    "transformers 4.56": ("COLLAPSESIM_TRANSFORMERS456_PYTHON", ("transformers", "torch")),
}


def python(var: str) -> str | None:
    """The interpreter named by ``var`` (None when unset); a set value that is
    not an executable file is an error."""
    value = os.environ.get(var)
    if not value:
        return None
    if not (Path(value).is_file() and os.access(value, os.X_OK)):
        raise SystemExit(f"{var} names {value!r}, which is not an executable file: "
                         "run benchmarks/setup_peers.sh and export what it prints")
    return value


def versions(var: str, modules) -> str:
    """``"particles 0.4, numpy 1.26.4"`` as the interpreter ``var`` names reports
    it, or :data:`MISSING`."""
    exe = python(var)
    if exe is None:
        return MISSING
    code = ("import importlib, json; out = {}\n"
            f"for m in {list(modules)!r}:\n"
            "    try: out[m] = importlib.import_module(m).__version__\n"
            "    except Exception as e: out[m] = 'missing'\n"
            "print(json.dumps(out))")
    done = subprocess.run([exe, "-c", code], capture_output=True, text=True, check=True)
    return ", ".join(f"{m} {v}" for m, v in json.loads(done.stdout.splitlines()[-1]).items())


def call(var: str, function: str, **kwargs):
    """Run ``benchmarks.<function>(**kwargs)`` (``function`` as ``"module:name"``)
    under the interpreter ``var`` names, from the repository root; its JSON
    result, or None when the variable is unset."""
    exe = python(var)
    if exe is None:
        return None
    done = subprocess.run([exe, "-m", "benchmarks.peers", function], input=json.dumps(kwargs),
                          capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    if done.returncode:
        raise RuntimeError(f"peer {function} under {var} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def table() -> list[str]:
    """The report's peer table: each peer's variable and versions."""
    rows = ["| peer | interpreter variable | versions |", "|---|---|---|"]
    for name, (var, modules) in PEERS.items():
        rows.append(f"| {name} | `{var}` | {versions(var, modules)} |")
    blast = shutil.which("psiblast")
    version = (subprocess.run([blast, "-version"], capture_output=True, text=True).stdout.split("\n")[0]
               if blast else "not installed (benchmarks/setup_peers.sh installs Debian's ncbi-blast+)")
    rows.append(f"| psiblast | on PATH | {version} |")
    return rows


def _main() -> None:
    """Worker side of :func:`call`: kwargs on stdin, the JSON result on the last line."""
    import importlib

    module, name = sys.argv[1].split(":")
    fn = getattr(importlib.import_module(f"benchmarks.{module}"), name)
    print(json.dumps(fn(**json.loads(sys.stdin.read()))))


if __name__ == "__main__":
    _main()
