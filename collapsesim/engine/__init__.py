"""The population-and-selection engine shared by every domain.

``get_backend(name, device)`` gives one of three implementations of the same
operators — numpy (the reference, the specification), numba (compiled CPU) and
torch (CPU and CUDA); :mod:`.operators` wraps them as functions; a
:class:`Population` holds individuals as a struct of arrays and a
:class:`Genealogy` their pruned ancestry.
"""

from .backends import BACKENDS, RESAMPLING_SCHEMES, Backend, get_backend
from .bits import pack_bits, unpack_bits
from .operators import (
    bitflip_mutation,
    gaussian_mutation,
    multinomial_counts,
    one_point_crossover,
    operator,
    proportional,
    resample,
    tournament,
    truncation,
    uniform_crossover,
)
from .population import Genealogy, Population
from .kernels import implements, registered
from .rng import child_seed, seed_sequence, streams

__all__ = [
    "BACKENDS",
    "RESAMPLING_SCHEMES",
    "Backend",
    "Genealogy",
    "Population",
    "bitflip_mutation",
    "child_seed",
    "implements",
    "registered",
    "streams",
    "gaussian_mutation",
    "get_backend",
    "multinomial_counts",
    "one_point_crossover",
    "operator",
    "pack_bits",
    "proportional",
    "resample",
    "seed_sequence",
    "tournament",
    "truncation",
    "uniform_crossover",
    "unpack_bits",
]
