"""The figures of the particle filter's reproduction page (written by :mod:`.`).

Each function runs what it draws (fixed seeds, numba backend) and saves one
PNG: the genealogy coalescing, ESS over time, the filtered mean against the
truth and the Kalman filter, the surviving founders per resampling scheme,
and the growth model's modes against the grid filter.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...domains.particle_filter.data import load_data
from ...domains.particle_filter.grid import grid_filter
from ...domains.particle_filter.kalman import model_kalman
from ...domains.particle_filter.models import build_model
from ...domains.particle_filter.params import ParticleFilterParams
from ...domains.particle_filter.smc import SMC
from ...domains.particle_filter.smoothing import History
from ...engine.backends import get_backend


def _setup(model: dict, T: int, data_seed: int = 0):
    params = ParticleFilterParams(model=model, data_seed=data_seed)
    host = build_model(params.model, get_backend("numpy"))
    return host, load_data(params, host, T)


def _run(host, data, N, seed, listeners=(), **kw) -> SMC:
    be = get_backend("numba")
    smc = SMC(host, data.y, N, be, be.rng(np.random.SeedSequence(seed)), listeners=listeners, **kw)
    for _ in range(data.T - 1):
        smc.step()
    return smc


def _save(fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    import matplotlib.pyplot as plt

    plt.close(fig)


def genealogy(path: Path) -> None:
    """All particles of a small filter (grey) and the ancestral lineages of the
    final ones (black): path degeneracy."""
    import matplotlib.pyplot as plt

    host, data = _setup({"kind": "linear_gaussian", "sigma_y": 0.5}, 80)
    history = History()
    smc = _run(host, data, 40, 1, listeners=[history], scheme="multinomial")
    tree = smc.genealogy.tree()
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for t, x in enumerate(history.x):
        ax.scatter(np.full(len(x), t), x[:, 0], s=3, color="0.75", zorder=1)
    value = np.array([history.x[t][i, 0] for t, i in zip(tree["time"], tree["index"])])
    for node, parent in enumerate(tree["parent"]):
        if parent >= 0:
            ax.plot([tree["time"][parent], tree["time"][node]], [value[parent], value[node]],
                    color="k", lw=0.8, zorder=2)
    ax.plot(data.x[:, 0], color="tab:red", lw=1, label="true state", zorder=3)
    ax.set(xlabel="time step", ylabel="state",
           title=f"Genealogy of N = 40 particles (multinomial resampling):\nall particles (grey),"
                 f" the final particles' ancestry (black), one lineage {smc.genealogy.tmrca()}"
                 " steps back")
    ax.legend(loc="upper left")
    _save(fig, path)


def ess(path: Path) -> None:
    """ESS/N over time: informative vs weak observations, bootstrap vs guided,
    and adaptive resampling's saw-tooth."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4))
    for sigma_y, filt, adaptive, label in [
        (1.0, "bootstrap", False, "bootstrap, σY = 1"),
        (0.2, "bootstrap", False, "bootstrap, σY = 0.2"),
        (0.2, "guided", False, "guided (optimal proposal), σY = 0.2"),
        (1.0, "bootstrap", True, "bootstrap, σY = 1, adaptive (ESS < N/2)"),
    ]:
        host, data = _setup({"kind": "linear_gaussian", "sigma_y": sigma_y}, 150)
        trace = []
        _run(host, data, 1000, 2, listeners=[lambda s: trace.append(s.ess / s.N)], filter=filt,
             adaptive=adaptive)
        ax.plot(trace, label=label, lw=1)
    ax.set(xlabel="time step", ylabel="ESS / N", ylim=(0, 1.02),
           title="Weight degeneracy: effective sample size of the step's weights (N = 1000)")
    ax.legend(fontsize=8, loc="lower left")
    _save(fig, path)


def filtered_mean(path: Path) -> None:
    """Filtered mean ± 2 sd against the true state and the Kalman filter."""
    import matplotlib.pyplot as plt

    host, data = _setup({"kind": "linear_gaussian"}, 100)
    kf = model_kalman(host, data.y)
    mean, sd = [], []

    def record(s):
        x, W = s.states()[:, 0], s.weights()
        m = W @ x
        mean.append(m)
        sd.append(np.sqrt(W @ (x - m) ** 2))

    _run(host, data, 1000, 3, listeners=[record])
    mean, sd, t = np.array(mean), np.array(sd), np.arange(data.T)
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.fill_between(t, mean - 2 * sd, mean + 2 * sd, color="tab:blue", alpha=0.25,
                    label="particle filter ± 2 sd (N = 1000)")
    ax.plot(t, mean, color="tab:blue", lw=1, label="particle filter mean")
    ksd = np.sqrt(kf.covs[:, 0, 0])
    ax.plot(t, kf.means[:, 0], "k--", lw=1, label="Kalman mean")
    ax.plot(t, kf.means[:, 0] + 2 * ksd, "k:", lw=0.8, label="Kalman ± 2 sd")
    ax.plot(t, kf.means[:, 0] - 2 * ksd, "k:", lw=0.8)
    ax.plot(t, data.x[:, 0], color="tab:red", lw=1, label="true state")
    ax.scatter(t, data.y[:, 0], s=4, color="0.5", label="observations")
    ax.set(xlabel="time step", ylabel="x", title="Filtering the AR(1) model (ρ = 0.9, σX = σY = 1)")
    ax.legend(fontsize=7, ncol=3, loc="upper left")
    _save(fig, path)


def founders(path: Path) -> None:
    """Surviving time-0 founders (the headline series' D0) per resampling scheme."""
    import matplotlib.pyplot as plt

    host, data = _setup({"kind": "linear_gaussian"}, 1500)
    fig, ax = plt.subplots(figsize=(9, 4))
    for scheme, adaptive in [("multinomial", False), ("residual", False), ("stratified", False),
                             ("systematic", False), ("systematic", True)]:
        trace = []
        _run(host, data, 1000, 4, scheme=scheme, adaptive=adaptive,
             listeners=[lambda s: trace.append(s.genealogy.distinct_ancestors(s.t))])
        ax.plot(trace, lw=1, label=scheme + (" (adaptive)" if adaptive else ""))
    ax.set(xlabel="time step", ylabel="surviving time-0 founders", yscale="log",
           title="Path degeneracy: founders of the current particles (N = 1000, σY = 1)")
    ax.legend(fontsize=8)
    _save(fig, path)


def modes(path: Path) -> None:
    """Growth model: posterior mass of x > 0, particle filters against the grid filter."""
    import matplotlib.pyplot as plt

    host, data = _setup({"kind": "growth", "sigma_x": 1.0}, 100)
    x, post = grid_filter(host, data.y)
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(post[:, x > 0].sum(axis=1), "k", lw=2, label="grid filter (reference)")
    for N, style in ((50, "-"), (10_000, "--")):
        mass = []
        _run(host, data, N, 0, listeners=[lambda s: mass.append(s.weights()[s.states()[:, 0] > 0].sum())])
        ax.plot(mass, style, lw=1, label=f"bootstrap filter, N = {N}")
    ax.set(xlabel="time step", ylabel="P(x > 0 | y)", ylim=(-0.02, 1.02),
           title="Growth model (σX = 1): with N = 50 the filter drops a mode the grid filter keeps")
    ax.legend(fontsize=8)
    _save(fig, path)


ALL = {"genealogy": genealogy, "ess": ess, "filtered_mean": filtered_mean, "founders": founders,
       "modes": modes}
