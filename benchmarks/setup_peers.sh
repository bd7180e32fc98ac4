#!/usr/bin/env bash
# Builds the environments of the tools `python -m benchmarks` measures collapsesim
# against ("peers"), one virtual environment each, and prints the variables to
# export so that the report runs every peer through its own interpreter.
#
#   bash benchmarks/setup_peers.sh [DIR]     # DIR: $COLLAPSESIM_PEERS, else .peers/ in the repo
#
# Idempotent: an environment whose check already passes is left as it is, so a
# second run only prints the variables. Environments (each `DIR/<name>/bin/python`):
#
#   particles   particles with numpy<2 (particles needs numpy 1), isolated from the
#               system packages: it runs collapsesim/reproductions/particle_filter/
#               particles_reference.py, which imports nothing from collapsesim.
#               -> COLLAPSESIM_PARTICLES_PYTHON
#   ga          DEAP and EvoTorch, on top of the system packages (torch and the
#               editable collapsesim are reused: the ga section's peer code imports
#               collapsesim's Rastrigin). -> COLLAPSESIM_DEAP_PYTHON
#   popgen      fwdpy11 and msprime, on top of the system packages.
#               -> COLLAPSESIM_FWDPY11_PYTHON
#   hf456       transformers==4.56.2 (the pin of collapsesim/reproductions/
#               beam_hf456.py: group beam search left transformers' core in 4.57), on
#               top of the system torch. -> COLLAPSESIM_TRANSFORMERS456_PYTHON
#
# psiblast comes from Debian's packages (ncbi-blast+), installed with apt when the
# script runs as root and psiblast is not on PATH already; otherwise it says so.
# The script needs network access to a package index (pip's configuration is used
# as it is) and a python3.11 (or $PYTHON) to build the environments from.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-${COLLAPSESIM_PEERS:-$repo/.peers}}"
python="${PYTHON:-python3}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

# build NAME SYSTEM_SITE CHECK PIP_ARGS... : a venv at $dir/NAME unless CHECK passes in it
build() {
    local name="$1" system="$2" check="$3"
    shift 3
    local py="$dir/$name/bin/python"
    if [ -x "$py" ] && "$py" -c "$check" >/dev/null 2>&1; then
        echo "setup_peers: $name ready ($dir/$name)" >&2
        return
    fi
    echo "setup_peers: building $name ($dir/$name): pip install $*" >&2
    if [ "$system" = yes ]; then
        "$python" -m venv --system-site-packages --clear "$dir/$name"
    else
        "$python" -m venv --clear "$dir/$name"
    fi
    "$py" -m pip install --quiet "$@"
    "$py" -c "$check"
}

build particles no "import numpy, particles; assert numpy.__version__ < '2'" \
    particles 'numpy<2'
build ga yes "import deap, evotorch, collapsesim" \
    deap evotorch
build popgen yes "import fwdpy11, msprime, collapsesim" \
    fwdpy11 msprime
build hf456 yes "import transformers, torch; assert transformers.__version__ == '4.56.2'" \
    'transformers==4.56.2'

if command -v psiblast >/dev/null && command -v makeblastdb >/dev/null; then
    echo "setup_peers: psiblast ready ($(psiblast -version | head -n 1))" >&2
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup_peers: installing ncbi-blast+ with apt" >&2
    apt-get update -q && apt-get install -y -q ncbi-blast+
else
    echo "setup_peers: psiblast is missing and this is not root with apt: install Debian's" \
         "ncbi-blast+ (apt-get install ncbi-blast+) to run the psiblast section's peer" >&2
fi

echo "# collapsesim benchmark peers: export these before python -m benchmarks"
echo "export COLLAPSESIM_PARTICLES_PYTHON=$dir/particles/bin/python"
echo "export COLLAPSESIM_DEAP_PYTHON=$dir/ga/bin/python"
echo "export COLLAPSESIM_FWDPY11_PYTHON=$dir/popgen/bin/python"
echo "export COLLAPSESIM_TRANSFORMERS456_PYTHON=$dir/hf456/bin/python"
