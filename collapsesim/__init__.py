"""collapsesim: diversity collapse across domains on one population-and-selection
engine, measured by one diversity metric (DESIGN.md, docs/architecture.md).

>>> import collapsesim as cs
>>> cs.hill_numbers([1, 1, 1, 1])["D1"]
4.0
"""

from importlib.metadata import PackageNotFoundError, version

from .config import ConfigError, load
from .domains.base import DivergenceError, Domain, DomainParams, Observation, Series
from .metrics import diversity, hill_number, hill_numbers, vendi
from .registry import available as available_domains
from .registry import get_domain, register
from .results import Result
from .runner import execute, run
from .comparison import compare
from .batching import batch
from .problems.scoring import score_cec2013
from . import theory

try:
    __version__ = version("collapsesim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "run", "execute", "compare", "batch", "load", "Result", "ConfigError", "DivergenceError", "Domain",
    "DomainParams", "Observation", "Series", "register", "get_domain", "available_domains",
    "diversity", "hill_number", "hill_numbers", "vendi", "theory", "score_cec2013", "__version__",
]
