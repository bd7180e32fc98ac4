"""The ``model_collapse`` domain: generative models trained on their own
samples, generation after generation (Shumailov et al. 2024, *Nature*
631:755) — exact where theory is exact, and the same axis as genetic drift.

* :mod:`.params` — the model class (``model.kind``: categorical, markov,
  gaussian, gmm, kde, regression, neural), the samples per generation ``n`` and the
  data regime (``regime.kind``: replace, accumulate, fresh, weighted,
  curation);
* :mod:`.cells` — the real distributions, their cells (tokens, n-grams,
  equal-real-mass bins, k-means cells, mixture components) and the
  replicate-wise draws;
* :mod:`.discrete`, :mod:`.continuous`, :mod:`.gmm`, :mod:`.neural` — the model classes,
  R replicates batched;
* :mod:`.regimes` — what each generation trains on;
* :mod:`.model` — the simulation: one step is one generation;
* :mod:`.theory` — the exact expectations (refitting a categorical model to n
  of its own samples is neutral Wright–Fisher drift with N = n, so
  :func:`collapsesim.theory.transition_matrix` is its exact chain).

Headline series ``support``: the generation's samples counted over the real
distribution's cells, reference the real cell masses (D0: the cells kept;
coverage: the fraction of real cells still produced). Domain metrics: see
:mod:`.model`.

References: Shumailov et al. (2024) AI models collapse when trained on
recursively generated data, Nature 631:755; Gerstgrasser et al. (2024) Is
model collapse inevitable? arXiv:2404.01413; Dohmatob, Feng & Kempe (2024)
Model collapse demystified: the case of regression, NeurIPS; He, Xu & Cheng
(2025) Golden ratio weighting prevents model collapse, arXiv:2502.18049;
Bertrand et al. (2024) On the stability of iterative retraining of generative
models on their own data, ICLR; Holtzman et al. (2020) The curious case of
neural text degeneration, ICLR.
"""

from __future__ import annotations

from ...registry import register
from ..base import Domain
from .model import ModelCollapseSimulation
from .params import ModelCollapseParams


@register("model_collapse")
class ModelCollapse(Domain):
    """Models refitted generation after generation to samples of their
    predecessors (R replicates as one array program); one step is one
    generation."""

    Params = ModelCollapseParams
    headline = "support"
    backends = ("numpy", "numba", "torch")
    batched = True
    clock = "generations"
    description = "model collapse: models refitted to their own samples, generation after generation"
    # numba shares numpy's generator and the host arithmetic: exact, except the gmm kind,
    # whose numba EM kernel sums in another order (agrees to 1e-10 relative; see .gmm)
    agreement = {"numba": "exact"}
    check_scenario = {"steps": 6, "record_every": 2, "replicates": 3,
                      "params": {"model": {"kind": "categorical", "V": 30}, "n": 60}}

    @classmethod
    def memory_estimate(cls, params: ModelCollapseParams, replicates: int) -> list[tuple[str, float]]:
        """Rough bound for one generation: 8 float64 copies of the R
        replicates' n samples (coordinates per sample: 1 token, a Markov
        sequence's length, d, or d + 1 for regression) and the cells' counts.
        The accumulate regime's pool grows by one generation per step."""
        m = params.model
        width = {"markov": getattr(m, "length", 1), "categorical": 1}.get(
            m.kind, getattr(m, "d", 1) + (m.kind == "regression"))
        return [("params.n", 8.0 * 8 * replicates * params.n * width),
                ("params.cells", 8.0 * replicates * params.cells)]

    def build(self, params: ModelCollapseParams, *, backend, seeds, steps: int):
        return ModelCollapseSimulation(params, backend, seeds)


__all__ = ["ModelCollapse", "ModelCollapseParams", "ModelCollapseSimulation"]
